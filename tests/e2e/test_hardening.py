"""Bad input, table-driven: every malformed or oversized request gets a 4xx JSON error object, never a 500."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image as PILImage
from PIL import PngImagePlugin

from limner.server.app import create_app
from limner.server.errors import ApiError
from limner.server.limits import GenerationSlots, TokenBucketLimiter
from limner.server.uploads import decode_upload
from limner.service import Service
from limner.types import GeneratedImage, GenerationRequest, Image
from tests.e2e.conftest import E2E_LIMITS, make_service, start_server, stop_server
from tests.fakes import FixedGenerator, png_bytes

LIMITS = replace(E2E_LIMITS, max_body_bytes=200_000, max_json_bytes=20_000, max_upload_bytes=50_000,
                 max_upload_pixels=512 * 512, max_images=2, max_prompt_chars=100, max_turns=3,
                 max_conversation_chars=300, max_n=2, max_size=512)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = make_service(tmp_path_factory.mktemp("hardening"))
    yield service
    service.close()


@pytest.fixture(scope="module")
def api(service: Service) -> Iterator[tuple[TestClient, dict[str, str]]]:
    service.store.upsert_account("hardy")
    headers = {"Authorization": f"Bearer {service.store.create_api_key('hardy')}"}
    with TestClient(create_app(service, LIMITS), raise_server_exceptions=False) as test_client:
        yield test_client, headers


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (32, 32), mode: str = "RGB", **save: Any) -> bytes:
    buffer = io.BytesIO()
    PILImage.new(mode, size, 0).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def animated_png() -> bytes:
    frames = [PILImage.new("RGB", (16, 16), c) for c in [(255, 0, 0), (0, 255, 0)]]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PNG", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def assert_error(response: httpx.Response, status: int, code: str | None = None, param: str | None = None) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code", "param"} and error["message"]
    assert "Traceback" not in response.text
    if code is not None:
        assert error["code"] == code, error
    if param is not None:
        assert error["param"] == param, error


GENERATION_CASES: list[tuple[str, Any, int, str | None, str | None]] = [
    # (id, JSON body or raw bytes, status, code, param)
    ("not json", b"{prompt: nope", 400, "invalid_json", None),
    ("invalid utf-8", b"\xff\xfe\x00", 400, "invalid_json", None),
    ("json list", [1, 2], 400, "invalid_json", None),
    ("json string", "a red circle", 400, "invalid_json", None),
    ("missing prompt", {"n": 1}, 400, "invalid_value", "prompt"),
    ("prompt not a string", {"prompt": 42}, 400, "invalid_value", "prompt"),
    ("empty prompt", {"prompt": "   "}, 400, "empty_prompt", "prompt"),
    ("prompt too long", {"prompt": "x" * 101}, 400, "prompt_too_long", "prompt"),
    ("n zero", {"prompt": "a", "n": 0}, 400, "invalid_value", "n"),
    ("n too big", {"prompt": "a", "n": 3}, 400, "invalid_value", "n"),
    ("n not int", {"prompt": "a", "n": "many"}, 400, "invalid_value", "n"),
    ("size words", {"prompt": "a", "size": "large"}, 400, "invalid_value", "size"),
    ("size not square", {"prompt": "a", "size": "256x512"}, 400, "invalid_value", "size"),
    ("size huge", {"prompt": "a", "size": "99999x99999"}, 400, "invalid_value", "size"),
    ("size tiny", {"prompt": "a", "size": "1x1"}, 400, "invalid_value", "size"),
    ("size negative", {"prompt": "a", "size": "-256x-256"}, 400, "invalid_value", "size"),
    ("output gif", {"prompt": "a", "output_format": "gif"}, 400, "invalid_value", "output_format"),
    ("response url", {"prompt": "a", "response_format": "url"}, 400, "invalid_value", "response_format"),
    ("seed negative", {"prompt": "a", "seed": -1}, 400, "invalid_value", "seed"),
    ("seed huge", {"prompt": "a", "seed": 2**70}, 400, "invalid_value", "seed"),
    ("messages not list", {"prompt": "a", "messages": "hi"}, 400, "invalid_value", "messages"),
    ("message bad role", {"prompt": "a", "messages": [{"role": "tool", "content": "x"}]}, 400, "invalid_value",
     "messages.0.role"),
    ("message no content", {"prompt": "a", "messages": [{"role": "user"}]}, 400, "invalid_value",
     "messages.0.content"),
    ("too many turns", {"prompt": "a", "messages": [{"role": "user", "content": "x"}] * 4}, 400, "invalid_value",
     "messages"),
    ("conversation too long", {"prompt": "a", "messages": [{"role": "user", "content": "x" * 100}] * 3}, 400,
     "conversation_too_long", "messages"),
    ("unknown profile", {"prompt": "a", "profile": "../../etc/passwd"}, 400, "invalid_value", "profile"),
    ("json too big", {"prompt": "a", "pad": "x" * 30_000}, 413, "request_too_large", None),
]


@pytest.mark.parametrize(("body", "status", "code", "param"), [c[1:] for c in GENERATION_CASES],
                         ids=[c[0] for c in GENERATION_CASES])
def test_bad_generation_bodies(api: tuple[TestClient, dict[str, str]], body: Any, status: int, code: str | None,
                               param: str | None) -> None:
    client, headers = api
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post("/v1/images/generations", content=raw,
                           headers={**headers, "Content-Type": "application/json"})
    assert_error(response, status, code, param)


def test_wrong_content_type_and_methods(api: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = api
    assert_error(client.post("/v1/images/generations", content=b"prompt=a",
                             headers={**headers, "Content-Type": "text/plain"}), 415, "unsupported_media_type")
    assert_error(client.post("/v1/images/edits", json={"prompt": "a"}, headers=headers), 415)
    assert_error(client.get("/v1/images/generations", headers=headers), 405, "method_not_allowed")
    assert_error(client.get("/v1/nothing-here"), 404, "not_found")
    assert_error(client.post("/v1/images/generations", json={"prompt": "a"},
                             headers={"Authorization": "Basic abc"}), 401, "missing_api_key")
    assert_error(client.post("/v1/images/generations", json={"prompt": "a"},
                             headers={"Authorization": "Bearer " + "k" * 5000}), 401, "invalid_api_key")


EDIT_CASES: list[tuple[str, Any, int, str | None, str | None]] = [
    # (id, files, status, code, param); `prompt` is always sent
    ("no image", [], 400, "missing_image", "image"),
    ("corrupt bytes", [("image", ("a.png", b"\x89PNG\r\n\x1a\nnot really", "image/png"))], 400, "invalid_image",
     "image"),
    ("text file", [("image", ("a.png", b"hello world", "image/png"))], 400, "invalid_image", "image"),
    ("empty file", [("image", ("a.png", b"", "image/png"))], 400, "invalid_image", "image"),
    ("gif", [("image", ("a.gif", image_bytes("GIF"), "image/gif"))], 400, "unsupported_image_type", "image"),
    ("bmp named png", [("image", ("a.png", image_bytes("BMP"), "image/png"))], 400, "unsupported_image_type",
     "image"),
    ("truncated png", [("image", ("a.png", image_bytes()[:60], "image/png"))], 400, "invalid_image", "image"),
    ("pixel bomb", [("image", ("b.png", image_bytes(size=(4000, 4000), mode="1"), "image/png"))], 400,
     "image_too_large", "image"),
    ("file too big", [("image", ("big.png", image_bytes(size=(150, 150), mode="RGB", compress_level=0),
                                 "image/png"))], 413, "image_too_large", "image"),
    ("animated", [("image", ("a.png", animated_png(), "image/png"))], 400, "invalid_image", "image"),
    ("too many images", [("image[]", (f"{i}.png", png_bytes(), "image/png")) for i in range(3)], 400,
     "too_many_images", "image"),
    ("mask", [("image", ("a.png", png_bytes(), "image/png")), ("mask", ("m.png", png_bytes(), "image/png"))], 400,
     "invalid_value", "mask"),
    ("other file field", [("image", ("a.png", png_bytes(), "image/png")),
                          ("photo", ("m.png", png_bytes(), "image/png"))], 400, "invalid_value", "photo"),
    ("second of two bad", [("image[]", ("a.png", png_bytes(), "image/png")),
                           ("image[]", ("b.png", b"junk", "image/png"))], 400, "invalid_image", "image[].1"),
]


@pytest.mark.parametrize(("files", "status", "code", "param"), [c[1:] for c in EDIT_CASES],
                         ids=[c[0] for c in EDIT_CASES])
def test_bad_edit_uploads(api: tuple[TestClient, dict[str, str]], files: Any, status: int, code: str | None,
                          param: str | None) -> None:
    client, headers = api
    data = {"prompt": "make it brighter"}
    if not files:  # httpx sends urlencoded without files; force multipart with a dummy text part
        files = [("note", (None, "x"))]
    response = client.post("/v1/images/edits", data=data, files=files, headers=headers)
    assert_error(response, status, code, param)


@pytest.mark.parametrize(("fields", "code", "param"), [
    ({"prompt": ""}, "empty_prompt", "prompt"),
    ({"prompt": "a", "n": "x"}, "invalid_value", "n"),
    ({"prompt": "a", "messages": "{not json"}, "invalid_value", "messages"),
    ({"prompt": "a", "messages": json.dumps({"role": "user"})}, "invalid_value", "messages"),
    ({"prompt": "a", "size": "12x12"}, "invalid_value", "size"),
], ids=["empty prompt", "n text", "messages not json", "messages not list", "size"])
def test_bad_edit_fields(api: tuple[TestClient, dict[str, str]], fields: dict[str, str], code: str,
                         param: str) -> None:
    client, headers = api
    response = client.post("/v1/images/edits", data=fields, files=[("image", ("a.png", png_bytes(), "image/png"))],
                           headers=headers)
    assert_error(response, 400, code, param)


def test_malformed_multipart_and_oversized_bodies(api: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = api
    broken = client.post("/v1/images/edits", content=b"--zzz\r\nContent-Disposition: form-data; name=\"prompt\"\r\n",
                         headers={**headers, "Content-Type": "multipart/form-data; boundary=zzz"})
    assert broken.status_code == 400 and "Traceback" not in broken.text
    assert_error(client.post("/v1/images/edits", content=b"x" * 300_000,
                             headers={**headers, "Content-Type": "multipart/form-data; boundary=zzz"}),
                 413, "request_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit must hold while the body streams in
        for _ in range(40):
            yield b"y" * 10_000

    assert_error(client.post("/v1/images/generations", content=chunks(),
                             headers={**headers, "Content-Type": "application/json"}), 413, "request_too_large")
    assert_error(client.post("/v1/images/generations", content=b"{}",
                             headers={**headers, "Content-Type": "application/json", "Content-Length": "abc"}),
                 400, "invalid_content_length")


def test_uploads_are_reencoded_as_plain_png() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("secret", "x" * 100)
    tagged = io.BytesIO()
    PILImage.new("RGB", (20, 10), (5, 6, 7)).save(tagged, format="PNG", pnginfo=info)
    clean = decode_upload(tagged.getvalue() + b"trailing payload", 10**6, 10**6)
    assert clean.mime == "image/png" and b"secret" not in clean.data and b"trailing" not in clean.data
    reopened = PILImage.open(io.BytesIO(clean.data))
    assert reopened.size == (20, 10) and reopened.getpixel((0, 0)) == (5, 6, 7)
    jpeg = decode_upload(image_bytes("JPEG"), 10**6, 10**6)
    assert jpeg.data.startswith(b"\x89PNG")
    with pytest.raises(ApiError) as bomb:
        decode_upload(image_bytes(size=(3000, 3000), mode="1"), 10**6, 1000 * 1000)
    assert bomb.value.code == "image_too_large"


def test_token_bucket_refills() -> None:
    now = [0.0]
    limiter = TokenBucketLimiter(rate_per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.take("k") for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("k") == pytest.approx(1.0)
    assert limiter.take("other") == 0.0  # per key
    now[0] = 1.0
    assert limiter.take("k") == 0.0


def test_rate_limit_per_key_is_429_with_retry_after(service: Service) -> None:
    service.store.upsert_account("rate-a")
    service.store.upsert_account("rate-b")
    key_a, key_b = service.store.create_api_key("rate-a"), service.store.create_api_key("rate-b")
    app = create_app(service, replace(LIMITS, rate_per_minute=1, rate_burst=2))
    with TestClient(app) as client:
        statuses = [client.post("/v1/images/generations", json={"prompt": "a red circle"},
                                headers={"Authorization": f"Bearer {key_a}"}).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = client.post("/v1/images/generations", json={"prompt": "a"},
                              headers={"Authorization": f"Bearer {key_a}"})
        assert_error(limited, 429, "rate_limit_exceeded")
        assert int(limited.headers["Retry-After"]) >= 1
        assert client.post("/v1/images/generations", json={"prompt": "a red circle"},
                           headers={"Authorization": f"Bearer {key_b}"}).status_code == 200


class SlowGenerator(FixedGenerator):
    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.running = 0
        self.peak = 0
        self._lock = threading.Lock()

    def generate(self, request: GenerationRequest) -> GeneratedImage:
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        return GeneratedImage(Image(self.png), "fixed", "test", 0)


def test_full_queue_is_429_and_concurrency_is_bounded(tmp_path: Path) -> None:
    generator = SlowGenerator(0.6)
    service = make_service(tmp_path, generator=generator)
    live, thread = start_server(service, replace(E2E_LIMITS, max_concurrency=1, max_queue=1))
    try:
        key = live.account("busy")
        results: list[httpx.Response] = []

        def call() -> None:
            results.append(httpx.post(f"{live.url}/v1/images/generations", json={"prompt": "a red circle"},
                                      headers={"Authorization": f"Bearer {key}"}, timeout=20))

        threads = [threading.Thread(target=call) for _ in range(4)]
        for t in threads:
            t.start()
            time.sleep(0.05)
        for t in threads:
            t.join()
        statuses = sorted(r.status_code for r in results)
        assert statuses == [200, 200, 429, 429]
        busy = next(r for r in results if r.status_code == 429)
        assert_error(busy, 429, "server_busy")
        assert busy.headers["Retry-After"] == str(E2E_LIMITS.retry_after_s)
        assert generator.peak == 1
    finally:
        stop_server(live, thread)


def test_generation_slots_release_on_error() -> None:
    import asyncio

    async def scenario() -> int:
        slots = GenerationSlots(concurrency=1, queue=0, retry_after_s=1)
        with pytest.raises(RuntimeError):
            async with slots.slot():
                raise RuntimeError("generation failed")
        async with slots.slot():
            return slots.admitted

    assert asyncio.run(scenario()) == 1
