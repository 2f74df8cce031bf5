"""Server: `create_app(service)`, the FastAPI application around one assembled `Service`.

The caller builds the service (`limner serve` uses `Service.open(Settings.from_env())`, tests pass scripted
plugins), so the app holds no globals. Start-up builds every profile's pipeline and warms the models it can; a
profile that fails to build is reported by /healthz and refuses its requests (503 gate_error), never serves them
unchecked.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from limner.server.config import ServerLimits
from limner.server.errors import install_handlers
from limner.server.limits import BodyLimitMiddleware, SecurityHeadersMiddleware
from limner.server.routes import images, meta, provenance, web
from limner.server.state import ServerState
from limner.service import Service

log = logging.getLogger("limner.server")
STATIC = Path(__file__).resolve().parent / "static"


def warm(state: ServerState) -> None:
    """Build each offered profile's pipeline and load the weights of plugins that can load ahead (`warm()`)."""
    for name in state.profiles:
        try:
            errors = state.service.pipeline(name).components.warm(include_generator=True)
        except Exception as exc:
            state.warm_errors[name] = f"{type(exc).__name__}: {exc}"
            log.warning("profile %s could not be built; its requests will be refused: %s", name, exc)
            continue
        for plugin, error in errors.items():  # a model that cannot load blocks its requests later (fail closed)
            state.warm_errors[f"{name}.{plugin}"] = error
            log.warning("%s.%s did not warm: %s", name, plugin, error)
    state.warmed = True


def create_app(service: Service, limits: ServerLimits | None = None, *, warm_on_start: bool = True,
               profiles: tuple[str, ...] | None = None) -> FastAPI:
    """The HTTP app for `service`.

    Args:
        limits: hardening limits (sizes, rates, concurrency); defaults in `ServerLimits`.
        warm_on_start: build pipelines and load weights at start-up rather than on the first request.
        profiles: the policy profiles a caller may select with `profile`; default: every loaded profile.
    """
    state = ServerState.build(service, limits or ServerLimits(), profiles)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if warm_on_start:
            await state.run(warm, state)
        else:
            state.warmed = True
        try:
            yield
        finally:
            state.close()

    # No /docs page: FastAPI's docs load their scripts from a CDN, which an offline install cannot reach and the
    # content security policy forbids; the schema stays at /openapi.json.
    app = FastAPI(title="limner", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Image generation behind a layered safety stack; OpenAI-compatible image API.")
    app.state.limner = state
    install_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=state.limits.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    app.include_router(meta.router)
    app.include_router(images.router)
    app.include_router(provenance.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
