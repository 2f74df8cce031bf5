"""A real browser (Playwright + Debian chromium): an operator overturns a queued refusal; the playground explains one.

Skipped, with the reason, where /usr/bin/chromium or playwright is absent (`apt-get install chromium`; never
`playwright install`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import ADMIN_TOKEN, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("Debian chromium not found at /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


def test_operator_overturns_and_playground_shows_the_refusal(browser, live: LiveServer) -> None:  # type: ignore[no-untyped-def]
    key = live.account("browser-user")
    refused = httpx.post(f"{live.url}/v1/images/generations", json={"prompt": "a photo of gore in the street"},
                         headers={"Authorization": f"Bearer {key}"})
    request_id = refused.json()["error"]["request_id"]

    page = browser.new_page(viewport={"width": 1000, "height": 800})
    page.set_default_timeout(10_000)
    page.goto(f"{live.url}/admin/review")
    assert "/admin/login" in page.url
    page.fill("#token", ADMIN_TOKEN)
    page.click("#login")
    page.wait_for_url(f"{live.url}/admin/review")
    item = page.locator(f'article[data-request-id="{request_id}"]')
    assert item.count() == 1
    assert "depicts graphic violence in a photoreal style" in item.inner_text()
    item.locator("button.overturn").click()
    page.wait_for_selector(".flash")
    assert f"{request_id} overturned" in page.inner_text(".flash")
    assert page.locator(f'article[data-request-id="{request_id}"]').count() == 0
    record = live.service.store.get(request_id)
    assert record is not None and record.review_status == "overturned"

    page.goto(f"{live.url}/")
    page.fill("#api-key", key)
    page.fill("#prompt", "a photo of gore")
    page.click("#submit")
    page.wait_for_selector("#refusal", state="visible")
    assert "depicts graphic violence in a photoreal style" in page.inner_text("#refusal-reasons")
    assert page.inner_text("#refusal-request").strip() not in ("", "-")

    page.fill("#prompt", "a red circle")
    page.click("#submit")
    page.wait_for_selector("#output", state="visible")
    assert page.get_attribute("#output", "src").startswith("data:image/png;base64,")
    page.close()
