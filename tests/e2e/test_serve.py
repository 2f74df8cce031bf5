"""`limner serve` wiring and start-up: the token it prints, the limits it passes, a profile that cannot be built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from limner.cli import serve as serve_module
from limner.server.app import create_app
from tests.e2e.conftest import E2E_LIMITS, make_service, write_policies


def test_serve_generates_an_admin_token_and_passes_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_policies(tmp_path)
    monkeypatch.setenv("LIMNER_POLICY_DIR", str(tmp_path))
    monkeypatch.setenv("LIMNER_DB_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("LIMNER_ADMIN_TOKEN", "")  # empty reads as unset; recorded so the token serve sets is undone
    seen: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        seen["app"], seen["kwargs"] = app, kwargs

    monkeypatch.setattr("uvicorn.run", fake_run)
    cli = typer.Typer()
    cli.command()(serve_module.serve)
    result = CliRunner().invoke(cli, ["--port", "9123", "--max-concurrency", "3", "--rate-per-minute", "5",
                                      "--max-upload-mb", "1", "--no-warm"])
    assert result.exit_code == 0, result.output
    assert "operator token for this run:" in result.output
    state = seen["app"].state.limner
    assert seen["kwargs"]["host"] == "127.0.0.1" and seen["kwargs"]["port"] == 9123
    assert (state.limits.max_concurrency, state.limits.rate_per_minute, state.limits.max_upload_bytes) == \
        (3, 5.0, 1024 * 1024)
    token = result.output.split("operator token for this run:")[1].split()[0]
    assert state.admin_token == token and len(token) >= 24


def test_serve_exits_2_on_a_bad_policy_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIMNER_POLICY_DIR", str(tmp_path / "missing"))
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: None)
    cli = typer.Typer()
    cli.command()(serve_module.serve)
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 2 and "policy folder not found" in result.output


def test_a_profile_that_cannot_be_built_is_degraded_and_refuses(tmp_path: Path) -> None:
    service = make_service(tmp_path, extra_profiles={
        "nobuild": {"gates": {"prompt": {"classifiers": [{"type": "no_such_classifier"}]}}}})
    service.store.upsert_account("p")
    key = service.store.create_api_key("p")
    with TestClient(create_app(service, E2E_LIMITS)) as client:
        health = client.get("/healthz").json()
        assert health["status"] == "degraded" and "no_such_classifier" in health["warm_errors"]["nobuild"]
        refused = client.post("/v1/images/generations", json={"prompt": "a red circle", "profile": "nobuild"},
                              headers={"Authorization": f"Bearer {key}"})
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "gate_error"
        ok = client.post("/v1/images/generations", json={"prompt": "a red circle"},
                         headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200
    service.close()
