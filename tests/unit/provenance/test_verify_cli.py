"""`limner verify` and `limner certs init` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer
from sqlalchemy import create_engine
from typer.testing import CliRunner

from limner.cli.certs import certs_init
from limner.cli.verify import verify
from limner.provenance.robustness import jpeg, render_scene
from limner.provenance.service import ProvenanceService
from tests.unit.provenance.conftest import encode


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("verify")(verify)
    app.command("certs-init")(certs_init)
    return app


def test_certs_init_writes_and_keeps(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(_app(), ["certs-init", "--dir", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "wrote signing chain" in result.output and (tmp_path / "c" / "dev-ca.pem").exists()
    again = runner.invoke(_app(), ["certs-init", "--dir", str(tmp_path / "c")])
    assert "kept existing" in again.output


def test_verify_json_and_table(tmp_path: Path, cert_dir: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'reg.db'}"
    svc = ProvenanceService(create_engine(db_url), deployment_id=5, dev_cert_dir=cert_dir)
    assert svc.registry is not None
    svc.registry.create_schema()
    out = svc.stamp_bytes(
        encode(render_scene(np.random.default_rng(2))), generator="g", generator_version="1", audit_id="req-77"
    )
    signed, reencoded, clean = tmp_path / "signed.png", tmp_path / "reencoded.jpg", tmp_path / "clean.png"
    signed.write_bytes(out.image)
    reencoded.write_bytes(jpeg(60)(out.image))
    clean.write_bytes(encode(render_scene(np.random.default_rng(3))))

    args = ["verify", str(signed), str(reencoded), str(clean), "--db-url", db_url, "--cert-dir", str(cert_dir)]
    result = CliRunner().invoke(_app(), [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data[str(signed)]["c2pa"]["state"] == "trusted"
    assert data[str(reencoded)]["c2pa"]["state"] == "absent"
    assert data[str(reencoded)]["watermark"]["generation_id"] == out.payload.generation_id
    assert data[str(reencoded)]["registry"]["matches"][0]["audit_id"] == "req-77"
    assert data[str(clean)]["from_this_deployment"] is False

    table = CliRunner().invoke(_app(), args)
    assert table.exit_code == 0, table.output
    assert "trusted" in table.output and "req-77" in table.output and "not found" in table.output
