"""Server: liveness and discovery (`/healthz`, `/v1/models`); no safety decision is made here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from limner.server.state import server_state

router = APIRouter(tags=["meta"])


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    state = server_state(request)
    status = "ok" if state.warmed and not state.warm_errors else ("starting" if not state.warmed else "degraded")
    return JSONResponse({"status": status, "profiles": list(state.profiles), "warm_errors": state.warm_errors,
                         "generations_admitted": state.slots.admitted})


@router.get("/v1/models")
async def models(request: Request) -> JSONResponse:
    state = server_state(request)
    seen: list[str] = []
    for name in state.profiles:
        generator = state.service.profiles[name].generator.type
        if generator not in seen:
            seen.append(generator)
    data = [{"id": name, "object": "model", "created": 0, "owned_by": "limner"} for name in seen]
    return JSONResponse({"object": "list", "data": data})
