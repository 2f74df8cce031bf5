"""Server: `POST /v1/provenance/verify`, reads the provenance marks (C2PA manifest, watermark) of an image.

The uploaded bytes are passed on exactly as received: re-encoding would destroy the manifest being checked. They
are only sniffed (PNG, JPEG or WebP by magic bytes) and their pixel count bounded before the verifier decodes them.
The verifier itself lives with provenance (`ProvenanceService.verify`); this route only adapts it to HTTP.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from PIL import Image as PILImage
from starlette.datastructures import UploadFile

from limner.server.auth import authenticate
from limner.server.errors import ApiError, bad_request
from limner.server.limits import BodyTooLarge
from limner.server.state import ServerState, server_state

router = APIRouter(prefix="/v1/provenance", tags=["provenance"])

def load_verifier(state: ServerState) -> Callable[[bytes], Any] | None:
    """The verifier of the provenance stage: `verify(image)` of the stamper the default profile builds.

    INTEGRATION POINT: that stamper is `limner.provenance.service.ProvenanceService` (registry `STAMPERS["default"]`),
    built with the policy's `provenance.params` and the audit database (its output registry), so verification uses
    the same keys and registry as stamping. None when provenance is off in the profile or the stamper cannot verify.
    """
    try:
        stamper = state.service.pipeline().components.provenance()
    except Exception:
        return None
    verify = getattr(stamper, "verify", None)
    return verify if callable(verify) else None


def jsonable(value: Any) -> Any:
    """A verifier report as JSON: dataclasses, pydantic models, enums, datetimes, bytes and tuples included."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):  # the report's own JSON form (VerifyReport.to_dict)
        return jsonable(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return jsonable(value.model_dump())
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _check_image(data: bytes, max_bytes: int, max_pixels: int) -> None:
    if not data:
        raise bad_request("image: the file is empty", "image", "invalid_image")
    if len(data) > max_bytes:
        raise ApiError(413, "image_too_large", f"image: the file is larger than {max_bytes} bytes", "image")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
        try:
            with PILImage.open(io.BytesIO(data)) as opened:  # header only: no pixels are decoded here
                fmt, (width, height) = opened.format, opened.size
        except Exception:
            raise bad_request("image: not a readable PNG, JPEG or WebP image", "image", "invalid_image") from None
    if fmt not in ("PNG", "JPEG", "WEBP"):
        raise bad_request(f"image: {fmt} images are not accepted", "image", "unsupported_image_type")
    if width * height > max_pixels:
        raise bad_request(f"image: {width}x{height} pixels is more than the {max_pixels} allowed", "image",
                          "image_too_large")


@router.post("/verify")
async def verify(request: Request) -> JSONResponse:
    state = server_state(request)
    limits = state.limits
    authenticate(request, state)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type", "send the image as multipart/form-data field 'image'")
    try:
        form = await request.form(max_files=2, max_fields=8, max_part_size=64 * 1024)
    except (ApiError, BodyTooLarge):
        raise
    except Exception as exc:
        raise bad_request(f"could not read the multipart body ({getattr(exc, 'detail', exc)})",
                          code="invalid_multipart") from None
    try:
        upload = form.get("image")
        if not isinstance(upload, UploadFile):
            raise bad_request("send the image as the file field 'image'", "image", "missing_image")
        data = await upload.read(limits.max_upload_bytes + 1)
    finally:
        await form.close()
    _check_image(data, limits.max_upload_bytes, limits.max_upload_pixels)
    verifier = load_verifier(state)
    if verifier is None:
        raise ApiError(501, "not_implemented", "provenance verification is not available: provenance is off in the "
                       "default profile or its stamper cannot verify")
    try:
        report = await state.run(verifier, data)
    except Exception as exc:
        raise ApiError(422, "verification_failed", f"the image could not be verified ({type(exc).__name__})",
                       "image") from None
    return JSONResponse({"object": "provenance.verification", "report": jsonable(report)})
