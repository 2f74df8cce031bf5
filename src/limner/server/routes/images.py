"""Server: the OpenAI-compatible image API (`/v1/images/generations`, `/v1/images/edits`, `/v1/moderations`).

A request is parsed and held to the server's limits here, turned into a `GenerationRequest` (account and tier from
the API key) and handed to the same pipeline the CLI uses, on a worker thread. This module decides nothing about
content: it maps the pipeline's decision to HTTP (refusal 400, account 403, gate error 503).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from limner.pipeline import EvalConfig, Pipeline, PipelineResult
from limner.server.auth import authenticate
from limner.server.errors import ApiError, bad_request
from limner.server.limits import BodyTooLarge
from limner.server.schemas import GenerationBody, ImageParams, ModerationBody
from limner.server.state import ServerState, server_state
from limner.server.uploads import decode_upload, encode_output
from limner.types import Account, Decision, GenerationRequest, Image, Role, Turn

router = APIRouter(prefix="/v1", tags=["images"])

DEFAULT_SIZE = 256
EDIT_TEXT_FIELDS = 32  # multipart text fields accepted in one edit request


async def read_json(request: Request, max_bytes: int) -> Any:
    if "json" not in request.headers.get("content-type", "application/json"):
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    body = await request.body()
    if len(body) > max_bytes:
        raise ApiError(413, "request_too_large", f"JSON body is larger than {max_bytes} bytes")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise bad_request(f"the body is not valid JSON ({exc})", code="invalid_json") from None


def parse(model: type[BaseModel], data: Any) -> Any:
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object", code="invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"]) or None
        raise bad_request(f"{param or 'body'}: {first['msg']}", param) from None


def parse_size(size: str, max_size: int) -> int:
    if size == "auto":
        return DEFAULT_SIZE
    width, sep, height = size.partition("x")
    if not sep or not width.isdigit() or not height.isdigit() or len(size) > 16:
        raise bad_request(f"size must be 'auto' or 'WIDTHxHEIGHT', got {size[:32]!r}", "size")
    if width != height:
        raise bad_request("limner generates square images: use e.g. '256x256'", "size")
    side = int(width)
    if not 64 <= side <= max_size:
        raise bad_request(f"size must be between 64x64 and {max_size}x{max_size}", "size")
    return side


def build_request(state: ServerState, account: Account, params: ImageParams,
                  uploads: tuple[Image, ...]) -> GenerationRequest:
    limits = state.limits
    if not params.prompt.strip():
        raise bad_request("prompt must not be empty", "prompt", "empty_prompt")
    if len(params.prompt) > limits.max_prompt_chars:
        raise bad_request(f"prompt is longer than {limits.max_prompt_chars} characters", "prompt", "prompt_too_long")
    if params.n > limits.max_n:
        raise bad_request(f"n must be at most {limits.max_n}", "n")
    if len(params.messages) > limits.max_turns:
        raise bad_request(f"messages may hold at most {limits.max_turns} turns", "messages")
    if sum(len(m.content) for m in params.messages) + len(params.prompt) > limits.max_conversation_chars:
        raise bad_request(f"the conversation is longer than {limits.max_conversation_chars} characters", "messages",
                          "conversation_too_long")
    if params.profile is not None and params.profile not in state.profiles:
        raise bad_request(f"unknown profile {params.profile[:64]!r} (offered: {', '.join(state.profiles)})", "profile")
    turns = (*(Turn(m.role, m.content) for m in params.messages), Turn(Role.USER, params.prompt))
    return GenerationRequest(turns=turns, account=account, uploads=uploads, profile=params.profile,
                             seed=params.seed, size=parse_size(params.size, limits.max_size),
                             output_mime=f"image/{params.output_format}")


def pipeline_for(state: ServerState, profile: str | None) -> Pipeline:
    try:
        return state.service.pipeline(profile)
    except Exception as exc:  # a plugin that cannot be built refuses the request, like any gate error
        raise ApiError(503, "gate_error", f"the safety stack could not be started ({type(exc).__name__}: {exc})",
                       category="gate_error") from None


def refusal(result: PipelineResult) -> ApiError:
    decision = result.blocked_by
    assert decision is not None
    reasons = [{"code": r.code, "category": r.category, "message": r.message, "score": r.score}
               for r in decision.reasons]
    readable = "; ".join(r.message for r in decision.reasons)
    extra: dict[str, Any] = {"category": decision.category, "gate": decision.gate, "reasons": reasons,
                             "request_id": result.request_id, "policy_version": decision.policy_version,
                             "account_banned": bool(result.enforcement and result.enforcement.banned)}
    if decision.gate == "account":
        code = "account_banned" if decision.reasons[0].code == "account.banned" else "account_refused"
        return ApiError(403, code, f"Your account cannot use this service: {readable}", **extra)
    if decision.category == "gate_error":
        # Not a judgement on the content: a check failed, so the request was refused (fail closed); retrying may work.
        return ApiError(503, "gate_error", f"Your request could not be checked and was refused: {readable}", **extra)
    if decision.gate == "request":
        return ApiError(400, "empty_prompt", readable, "prompt", **extra)
    return ApiError(400, "content_policy_violation",
                    f"Your request was refused by the {decision.gate} check: it {readable}", **extra)


def _usage(request: GenerationRequest, n: int) -> dict[str, Any]:
    # limner has no token accounting; these are word and image counts so that OpenAI clients find the fields.
    text = sum(len(t.content.split()) for t in request.turns)
    images = len(request.uploads)
    return {"input_tokens": text + images, "output_tokens": n, "total_tokens": text + images + n,
            "input_tokens_details": {"text_tokens": text, "image_tokens": images}}


async def run_images(state: ServerState, request: GenerationRequest, params: ImageParams) -> JSONResponse:
    pipeline = pipeline_for(state, request.profile)
    base_seed = request.seed
    if base_seed is None and params.n > 1:
        base_seed = secrets.randbelow(2**31)  # distinct, reproducible seeds for the n images
    data: list[dict[str, str]] = []
    request_ids: list[str] = []
    async with state.slots.slot():
        for i in range(params.n):
            one = request if base_seed is None else replace(request, seed=base_seed + i)
            result = await state.run(pipeline.generate, one)
            request_ids.append(result.request_id)
            if result.blocked_by is not None or result.image is None:
                raise refusal(result)  # one refused image refuses the whole request
            encoded, _mime = await state.run(encode_output, result.image, params.output_format)
            data.append({"b64_json": base64.b64encode(encoded).decode("ascii"), "revised_prompt": request.prompt})
    body = {"created": int(time.time()), "data": data, "usage": _usage(request, params.n),
            "output_format": params.output_format, "size": f"{request.size}x{request.size}",
            "limner": {"request_ids": request_ids, "policy_version": pipeline.policy_version}}
    return JSONResponse(body)


@router.post("/images/generations")
async def generations(request: Request) -> JSONResponse:
    state = server_state(request)
    account = authenticate(request, state)
    params: GenerationBody = parse(GenerationBody, await read_json(request, state.limits.max_json_bytes))
    return await run_images(state, build_request(state, account, params, ()), params)


def _form_messages(raw: str) -> list[Any]:
    try:
        messages = json.loads(raw)
    except json.JSONDecodeError:
        raise bad_request("messages must be a JSON list of {role, content}", "messages") from None
    if not isinstance(messages, list):
        raise bad_request("messages must be a JSON list of {role, content}", "messages")
    return messages


@router.post("/images/edits")
async def edits(request: Request) -> JSONResponse:
    state = server_state(request)
    limits = state.limits
    account = authenticate(request, state)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "send edits as multipart/form-data with an 'image' file")
    try:
        form = await request.form(max_files=limits.max_images + 1, max_fields=EDIT_TEXT_FIELDS,
                                  max_part_size=limits.max_json_bytes)
    except (ApiError, BodyTooLarge):
        raise
    except Exception as exc:  # malformed multipart, too many parts: the parser's message says which
        raise bad_request(f"could not read the multipart body ({getattr(exc, 'detail', exc)})",
                          code="invalid_multipart") from None
    try:
        files: list[tuple[str, UploadFile]] = []
        fields: dict[str, Any] = {}
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                if name not in ("image", "image[]"):
                    raise bad_request(f"{name}: {'masks are' if name == 'mask' else 'this file field is'} "
                                      f"not supported", name)
                files.append((name, value))
            elif name in fields:
                raise bad_request(f"{name}: given more than once", name)
            else:
                fields[name] = value
        if not files:
            raise bad_request("an edit needs at least one 'image' file", "image", "missing_image")
        if len(files) > limits.max_images:
            raise bad_request(f"at most {limits.max_images} images per request", "image", "too_many_images")
        if "messages" in fields:
            fields["messages"] = _form_messages(str(fields["messages"]))
        params: ImageParams = parse(ImageParams, fields)
        uploads: list[Image] = []
        for i, (name, upload) in enumerate(files):
            raw = await upload.read(limits.max_upload_bytes + 1)
            param = name if len(files) == 1 else f"{name}.{i}"
            uploads.append(await state.run(decode_upload, raw, limits.max_upload_bytes, limits.max_upload_pixels,
                                           param))
    finally:
        await form.close()
    return await run_images(state, build_request(state, account, params, tuple(uploads)), params)


def _moderation_result(decisions: tuple[Decision, ...], result: PipelineResult) -> dict[str, Any]:
    blocked = result.blocked_by
    scores: dict[str, float] = {}
    for decision in decisions:
        for key, value in decision.scores.items():
            label = key.split(".", 1)[-1]
            scores[label] = max(scores.get(label, 0.0), value)
    categories = {r.category: True for r in blocked.reasons} if blocked else {}
    return {"flagged": blocked is not None, "categories": categories, "category_scores": scores,
            "limner": {"request_id": result.request_id, "gate": blocked.gate if blocked else None,
                       "reasons": [{"code": r.code, "category": r.category, "message": r.message, "score": r.score}
                                   for r in (blocked.reasons if blocked else ())]}}


@router.post("/moderations")
async def moderations(request: Request) -> JSONResponse:
    """The pre-generation checks only (chat + prompt gates), recorded and enforced like a generation request."""
    state = server_state(request)
    limits = state.limits
    account = authenticate(request, state)
    body: ModerationBody = parse(ModerationBody, await read_json(request, limits.max_json_bytes))
    inputs = [body.input] if isinstance(body.input, str) else body.input
    if not inputs or len(inputs) > limits.max_n * 8:
        raise bad_request(f"input must hold 1 to {limits.max_n * 8} texts", "input")
    if any(len(text) > limits.max_prompt_chars for text in inputs):
        raise bad_request(f"each input must be at most {limits.max_prompt_chars} characters", "input",
                          "prompt_too_long")
    if body.profile is not None and body.profile not in state.profiles:
        raise bad_request(f"unknown profile {body.profile[:64]!r}", "profile")
    pipeline = pipeline_for(state, body.profile)
    results = []
    async with state.slots.slot():
        for text in inputs:
            one = GenerationRequest(turns=(Turn(Role.USER, text),), account=account, profile=body.profile)
            result = await state.run(pipeline.moderate, one, EvalConfig.WITH_CHAT)
            decision = result.blocked_by
            if decision is not None and decision.gate == "account":
                raise refusal(result)
            results.append(_moderation_result(result.decisions, result))
    return JSONResponse({"id": f"modr-{secrets.token_hex(8)}", "model": f"limner-{pipeline.policy_version}",
                         "results": results})
