"""Operator pages and the playground over HTTP: login, review decisions, audit log, accounts, provenance."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from limner.server.app import create_app
from limner.service import Service
from limner.types import GeneratedImage, GenerationRequest, Image, Tier
from tests.e2e.conftest import ADMIN_TOKEN, E2E_LIMITS, make_service
from tests.fakes import RecordingStamper, png_bytes


class VerifyingStamper(RecordingStamper):
    """A stamper with the provenance service's `verify`, to drive the verify endpoint's integration point."""

    def stamp(self, generated: GeneratedImage, request: GenerationRequest, request_id: str) -> Image:
        return Image(generated.image.data)

    def verify(self, image: bytes) -> Report:
        return Report(found=image.startswith(b"\x89PNG"), checked_at=datetime(2026, 1, 1, tzinfo=UTC))


@dataclass(frozen=True)
class Report:
    found: bool
    checked_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"c2pa": {"state": "valid" if self.found else "absent"}, "checked_at": self.checked_at}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    service = make_service(tmp_path, stamper=VerifyingStamper())
    yield service
    service.close()


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service, E2E_LIMITS)) as test_client:
        yield test_client


def csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match is not None
    return match.group(1)


def login(client: TestClient) -> None:
    response = client.post("/admin/login", data={"token": ADMIN_TOKEN, "next": "/admin/review"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/admin/review"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and ADMIN_TOKEN not in cookie


def test_playground_page_renders(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'id="playground"' in page.text and "/static/playground.js" in page.text
    assert client.get("/static/playground.js").status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"


def test_operator_pages_need_the_token(client: TestClient) -> None:
    for path in ("/admin/review", "/admin/audit", "/admin/accounts"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/admin/login")
    wrong = client.post("/admin/login", data={"token": "guess"}, follow_redirects=False)
    assert wrong.status_code == 401 and "not the admin token" in wrong.text
    assert client.post("/admin/review/abc", data={"decision": "overturn"}).status_code == 401
    offsite = client.post("/admin/login", data={"token": ADMIN_TOKEN, "next": "//evil.example/"},
                          follow_redirects=False)
    assert offsite.headers["location"] == "/admin/review"


def test_review_queue_uphold_and_overturn(client: TestClient, service: Service) -> None:
    service.store.upsert_account("rev")
    key = service.store.create_api_key("rev")
    ids = []
    for _ in range(2):
        refused = client.post("/v1/images/generations", json={"prompt": "a photo of gore"},
                              headers={"Authorization": f"Bearer {key}"})
        assert refused.status_code == 400
        ids.append(refused.json()["error"]["request_id"])
    login(client)
    page = client.get("/admin/review")
    assert all(f'data-request-id="{i}"' in page.text for i in ids)
    assert "depicts graphic violence in a photoreal style" in page.text
    assert "scripted_text.violence/graphic" in page.text
    token = csrf(page.text)
    assert client.post(f"/admin/review/{ids[0]}", data={"decision": "overturn"}).status_code == 403  # no CSRF
    done = client.post(f"/admin/review/{ids[0]}", data={"decision": "overturn", "csrf": token})
    assert done.status_code == 200 and f"{ids[0]} overturned" in done.text
    client.post(f"/admin/review/{ids[1]}", data={"decision": "uphold", "csrf": token})
    assert [service.store.get(i).review_status for i in ids] == ["overturned", "upheld"]  # type: ignore[union-attr]
    assert client.post("/admin/review/nope", data={"decision": "uphold", "csrf": token}).status_code == 404
    assert client.post(f"/admin/review/{ids[0]}", data={"decision": "delete", "csrf": token}).status_code == 400
    audit = client.get("/admin/audit?blocked=1&limit=5")
    assert audit.status_code == 200 and ids[0][:12] in audit.text and "a photo of gore" in audit.text


def test_accounts_create_key_and_unban(client: TestClient, service: Service) -> None:
    login(client)
    token = csrf(client.get("/admin/accounts").text)
    created = client.post("/admin/accounts", data={"account_id": "webby", "tenant": "t1", "tier": "under18",
                                                   "issue_key": "1", "csrf": token})
    match = re.search(r'id="new-key">([^<]+)<', created.text)
    assert created.status_code == 200 and match is not None
    account = service.store.account_for_key(match.group(1))
    assert account is not None and (account.id, account.tier, account.tenant) == ("webby", Tier.UNDER18, "t1")
    bad_tier = client.post("/admin/accounts", data={"account_id": "x", "tier": "god", "csrf": token})
    assert bad_tier.status_code == 400
    service.store.upsert_account("mallory")
    flagged = client.post("/v1/images/edits", data={"prompt": "brighter"},
                          files={"image": ("x.png", png_bytes((1, 2, 3)), "image/png")},
                          headers={"Authorization": f"Bearer {service.store.create_api_key('mallory')}"})
    assert flagged.status_code == 400 and flagged.json()["error"]["account_banned"] is True
    assert "banned" in client.get("/admin/accounts").text
    client.post("/admin/accounts/mallory/unban", data={"csrf": token})
    assert service.store.account("mallory").banned is False  # type: ignore[union-attr]


def test_bearer_admin_token_works_without_cookie_or_csrf(client: TestClient, service: Service) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert client.get("/admin/audit", headers=headers).status_code == 200
    response = client.post("/admin/accounts", data={"account_id": "api-made", "tier": "adult"}, headers=headers)
    assert response.status_code == 200 and service.store.account("api-made") is not None


def test_operator_pages_off_without_a_token(tmp_path: Path) -> None:
    service = make_service(tmp_path, admin_token=None)
    with TestClient(create_app(service, E2E_LIMITS)) as client:
        assert client.get("/admin/review").status_code == 503
        assert client.post("/admin/login", data={"token": ""}).status_code == 503
        assert client.post("/admin/accounts", data={"account_id": "x"}).status_code == 503
    service.close()


def test_provenance_verify_calls_the_verifier(client: TestClient, service: Service) -> None:
    service.store.upsert_account("prov")
    headers = {"Authorization": f"Bearer {service.store.create_api_key('prov')}"}
    response = client.post("/v1/provenance/verify", files={"image": ("x.png", png_bytes(), "image/png")},
                           headers=headers)
    assert response.status_code == 200
    assert response.json()["report"] == {"c2pa": {"state": "valid"}, "checked_at": "2026-01-01T00:00:00+00:00"}
    bad = client.post("/v1/provenance/verify", files={"image": ("x.png", b"junk", "image/png")}, headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_image"
    missing = client.post("/v1/provenance/verify", files={"other": ("x.png", png_bytes(), "image/png")},
                          headers=headers)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "missing_image"
