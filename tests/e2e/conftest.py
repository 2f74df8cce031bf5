"""E2E fixtures: a real `Service` on the scenario policy with scripted plugins, served by uvicorn on a free port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import yaml

from limner.server.app import create_app
from limner.server.config import ServerLimits
from limner.service import Service
from limner.settings import Settings
from limner.types import Tier
from tests.conftest import SCENARIOS
from tests.fakes import EXTRA_CLASSIFIERS, FixedGenerator, RecordingStamper

ADMIN_TOKEN = "test-admin-token-0123456789"
# Generous limits so that the API tests never trip the rate limiter; hardening tests build their own apps.
E2E_LIMITS = ServerLimits(rate_per_minute=6000, rate_burst=1000)


def write_policies(directory: Path) -> Path:
    """The basic scenario as profile `default`, plus review on violence, and a `broken` profile whose gate raises."""
    basic = yaml.safe_load((SCENARIOS / "basic" / "basic.yaml").read_text())
    basic["name"] = "default"
    basic["enforcement"]["actions"]["*.violence/graphic"] = ["strike", "review"]
    basic["enforcement"]["strikes"]["ban_after"] = 1000
    (directory / "default.yaml").write_text(yaml.safe_dump(basic))
    broken = {"name": "broken", "extends": "default",
              "gates": {"prompt": {"classifiers": [{"type": "raising", "params": {"error": "model exploded"}}]}}}
    (directory / "broken.yaml").write_text(yaml.safe_dump(broken))
    return directory


def make_service(tmp: Path, admin_token: str | None = ADMIN_TOKEN, extra_profiles: dict[str, Any] | None = None,
                 **overrides: Any) -> Service:
    policy_dir = tmp / "policies"
    policy_dir.mkdir(exist_ok=True)
    write_policies(policy_dir)
    for name, profile in (extra_profiles or {}).items():
        (policy_dir / f"{name}.yaml").write_text(yaml.safe_dump({"name": name, "extends": "default", **profile}))
    settings = Settings(db_url=f"sqlite:///{tmp / 'limner.db'}", policy_dir=policy_dir, default_profile="default",
                        data_dir=tmp, host="127.0.0.1", port=0, admin_token=admin_token)
    overrides.setdefault("generator", FixedGenerator())
    overrides.setdefault("stamper", RecordingStamper())
    return Service.open(settings, extra_classifiers=EXTRA_CLASSIFIERS, **overrides)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    service: Service
    server: uvicorn.Server

    def account(self, account_id: str, tier: Tier = Tier.ADULT) -> str:
        """Create the account in the store and return a fresh API key for it."""
        self.service.store.upsert_account(account_id, tier=tier)
        return self.service.store.create_api_key(account_id)


def start_server(service: Service, limits: ServerLimits = E2E_LIMITS) -> tuple[LiveServer, threading.Thread]:
    port = free_port()
    config = uvicorn.Config(create_app(service, limits), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="uvicorn-e2e")
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return LiveServer(f"http://127.0.0.1:{port}", service, server), thread


def stop_server(live: LiveServer, thread: threading.Thread) -> None:
    live.server.should_exit = True
    thread.join(timeout=10)
    live.service.close()


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    service = make_service(tmp_path_factory.mktemp("e2e"))
    server, thread = start_server(service)
    yield server
    stop_server(server, thread)


@pytest.fixture
def limits() -> ServerLimits:
    return replace(E2E_LIMITS)
