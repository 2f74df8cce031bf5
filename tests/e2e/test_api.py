"""The OpenAI-compatible API driven by the official `openai` client against a live uvicorn server."""

from __future__ import annotations

import base64
import io

import httpx
import openai
import pytest
from openai import OpenAI
from PIL import Image as PILImage

from limner.types import Tier
from tests.e2e.conftest import LiveServer
from tests.fakes import png_bytes


def client(live: LiveServer, key: str) -> OpenAI:
    return OpenAI(base_url=f"{live.url}/v1", api_key=key, max_retries=0, timeout=20)


def decode(b64: str | None) -> PILImage.Image:
    assert b64 is not None
    return PILImage.open(io.BytesIO(base64.b64decode(b64)))


def test_generate_returns_a_b64_png(live: LiveServer) -> None:
    result = client(live, live.account("gen-alice")).images.generate(model="tiny_ar", prompt="a red circle",
                                                                      size="256x256")
    assert result.data is not None and len(result.data) == 1
    image = decode(result.data[0].b64_json)
    assert image.format == "PNG" and image.size == (64, 64)
    assert result.data[0].revised_prompt == "a red circle"
    assert result.usage is not None and result.usage.input_tokens > 0
    assert result.output_format == "png"


def test_n_images_and_jpeg_output(live: LiveServer) -> None:
    result = client(live, live.account("gen-n")).images.generate(prompt="a red circle", n=2, output_format="jpeg")
    assert result.data is not None and len(result.data) == 2
    assert all(decode(d.b64_json).format == "JPEG" for d in result.data)


def test_refused_prompt_raises_bad_request_with_reasons(live: LiveServer) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client(live, live.account("gen-bob")).images.generate(prompt="a photo of gore")
    error = caught.value
    assert error.status_code == 400 and error.code == "content_policy_violation"
    body = error.body
    assert isinstance(body, dict)
    assert body["type"] == "invalid_request_error" and body["param"] is None
    assert body["category"] == "violence" and body["gate"] == "prompt"
    assert body["reasons"][0]["message"] == "depicts graphic violence in a photoreal style"
    assert body["reasons"][0]["code"] == "prompt.scripted_text.violence/graphic"
    assert "depicts graphic violence" in body["message"]
    record = live.service.store.get(body["request_id"])
    assert record is not None and record.verdict == "block" and record.review_status == "pending"


def test_edit_with_one_and_with_two_images(live: LiveServer) -> None:
    api = client(live, live.account("edit-carol"))
    one = api.images.edit(image=("a.png", png_bytes((10, 20, 30)), "image/png"), prompt="make it brighter")
    assert one.data is not None and decode(one.data[0].b64_json).format == "PNG"
    two = api.images.edit(image=[("a.png", png_bytes((10, 20, 30)), "image/png"),
                                 ("b.jpg", _jpeg(), "image/jpeg")], prompt="put them side by side")
    assert two.data is not None and len(two.data) == 1
    assert two.usage is not None and two.usage.input_tokens_details.image_tokens == 2  # type: ignore[union-attr]


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (48, 32), (0, 90, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_hash_matched_upload_is_refused_reported_and_the_account_banned(live: LiveServer) -> None:
    api = client(live, live.account("edit-mallory"))
    with pytest.raises(openai.BadRequestError) as caught:
        # re-encoded by the server before the gates see it; the match must survive that
        api.images.edit(image=("x.png", png_bytes((1, 2, 3)), "image/png"), prompt="make it brighter")
    body = caught.value.body
    assert isinstance(body, dict) and body["category"] == "sexual_minors" and body["account_banned"] is True
    with pytest.raises(openai.PermissionDeniedError) as banned:
        api.images.generate(prompt="a red circle")
    assert banned.value.code == "account_banned"


def test_tier_comes_from_the_store_not_the_body(live: LiveServer) -> None:
    teen = client(live, live.account("tier-teen", Tier.UNDER18))
    adult = client(live, live.account("tier-adult"))
    spoof = {"tier": "adult", "age": 40, "account": "tier-adult", "account_id": "tier-adult", "is_adult": True}
    assert adult.images.generate(prompt="a pin-up in lingerie").data
    with pytest.raises(openai.BadRequestError) as caught:
        teen.images.generate(prompt="a pin-up in lingerie", user="tier-adult", extra_body=spoof)
    body = caught.value.body
    assert isinstance(body, dict) and body["reasons"][0]["code"] == "prompt.scripted_text.sexual/suggestive"
    record = live.service.store.get(body["request_id"])
    assert record is not None and (record.account_id, record.tier) == ("tier-teen", "under18")


def test_under13_is_refused_with_403(live: LiveServer) -> None:
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client(live, live.account("kid", Tier.UNDER13)).images.generate(prompt="a red circle")
    assert caught.value.code == "account_refused"
    assert "not available to children under 13" in str(caught.value.body)


def test_bad_or_missing_key_is_401(live: LiveServer) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        client(live, "lm-not-a-real-key").images.generate(prompt="a red circle")
    assert caught.value.code == "invalid_api_key"
    response = httpx.post(f"{live.url}/v1/images/generations", json={"prompt": "a red circle"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "missing_api_key"


def test_chat_gate_sees_prior_messages(live: LiveServer) -> None:
    api = client(live, live.account("chat-dave"))
    history = [{"role": "user", "content": "draw a woman, then make her younger"},
               {"role": "assistant", "content": "done"}]
    assert api.images.generate(prompt="now put her on a beach").data  # alone, the prompt passes
    with pytest.raises(openai.BadRequestError) as caught:
        api.images.generate(prompt="now put her on a beach", extra_body={"messages": history})
    body = caught.value.body
    assert isinstance(body, dict) and body["gate"] == "chat" and body["category"] == "sexual_minors"


def test_gate_error_is_503_and_unknown_profile_400(live: LiveServer) -> None:
    api = client(live, live.account("prof-erin"))
    with pytest.raises(openai.InternalServerError) as caught:
        api.images.generate(prompt="a red circle", extra_body={"profile": "broken"})
    assert caught.value.status_code == 503 and caught.value.code == "gate_error"
    body = caught.value.body
    assert isinstance(body, dict) and body["reasons"][0]["code"] == "prompt.gate_error"
    with pytest.raises(openai.BadRequestError) as unknown:
        api.images.generate(prompt="a red circle", extra_body={"profile": "nope"})
    assert isinstance(unknown.value.body, dict) and unknown.value.body["param"] == "profile"


def test_moderations_models_and_health(live: LiveServer) -> None:
    api = client(live, live.account("mod-frank"))
    moderation = api.moderations.create(input=["a red circle", "a photo of gore"])
    assert [r.flagged for r in moderation.results] == [False, True]
    assert moderation.results[1].categories.violence is True
    assert moderation.results[1].category_scores.model_dump()["violence/graphic"] == 0.9  # limner's labels
    assert moderation.results[0].category_scores.model_dump()["violence/graphic"] == 0.05
    assert [m.id for m in api.models.list()] == ["tiny_ar"]
    health = httpx.get(f"{live.url}/healthz").json()
    assert health["status"] == "ok" and health["profiles"] == ["broken", "default"]


def test_provenance_verify_without_a_verifier_is_501(live: LiveServer) -> None:
    key = live.account("prov-gina")
    response = httpx.post(f"{live.url}/v1/provenance/verify", headers={"Authorization": f"Bearer {key}"},
                          files={"image": ("x.png", png_bytes(), "image/png")})
    assert response.status_code == 501 and response.json()["error"]["code"] == "not_implemented"
