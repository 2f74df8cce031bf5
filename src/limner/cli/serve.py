"""CLI: `limner serve`, the HTTP service (OpenAI-compatible image API, playground, operator pages) on uvicorn.

The service is assembled here from the environment (`Settings.from_env()`) with the full safety stack of the
configured policy profiles; the server adds only admission limits (sizes, rates, concurrency), set by the options.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import replace

import typer

from limner.cli.common import console
from limner.policy.load import PolicyError
from limner.server.config import MIB, ServerLimits
from limner.service import Service
from limner.settings import Settings

_DEFAULTS = ServerLimits()


def serve(
    host: str | None = typer.Option(None, "--host", help="Bind address (default LIMNER_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Port (default LIMNER_PORT, 8000)."),
    reload: bool = typer.Option(False, "--reload", help="Restart on code changes (development)."),
    max_concurrency: int = typer.Option(_DEFAULTS.max_concurrency, help="Generations running at once."),
    max_queue: int = typer.Option(_DEFAULTS.max_queue, help="Generations waiting; beyond it 429 + Retry-After."),
    rate_per_minute: float = typer.Option(_DEFAULTS.rate_per_minute, help="Requests per minute per API key."),
    rate_burst: int = typer.Option(_DEFAULTS.rate_burst, help="Burst size per API key."),
    max_upload_mb: float = typer.Option(_DEFAULTS.max_upload_bytes / MIB, help="Largest uploaded image file (MiB)."),
    max_body_mb: float = typer.Option(_DEFAULTS.max_body_bytes / MIB, help="Largest request body (MiB)."),
    max_images: int = typer.Option(_DEFAULTS.max_images, help="Images per edit request."),
    max_prompt_chars: int = typer.Option(_DEFAULTS.max_prompt_chars, help="Longest prompt."),
    warm: bool = typer.Option(True, "--warm/--no-warm", help="Load models at start-up rather than on first use."),
    log_level: str = typer.Option("info", "--log-level"),
) -> None:
    """Start the HTTP server with the embedded generator and the full safety stack."""
    import uvicorn  # imported here so other commands do not pay for it

    from limner.server.app import create_app

    settings = Settings.from_env()
    if settings.admin_token is None:
        token = secrets.token_urlsafe(24)
        settings = replace(settings, admin_token=token)
        # With --reload the app is rebuilt in a child process, which reads the token from its environment.
        os.environ["LIMNER_ADMIN_TOKEN"] = token
        # Plain echo, not rich: the token must stay on one line to be copied.
        typer.echo(f"LIMNER_ADMIN_TOKEN was not set; operator token for this run: {token}", err=True)
    limits = replace(
        _DEFAULTS, max_concurrency=max_concurrency, max_queue=max_queue, rate_per_minute=rate_per_minute,
        rate_burst=rate_burst, max_upload_bytes=int(max_upload_mb * MIB), max_body_bytes=int(max_body_mb * MIB),
        max_images=max_images, max_prompt_chars=max_prompt_chars,
    )
    bind_host, bind_port = host or settings.host, port or settings.port
    if reload:
        # uvicorn's reloader needs an import string; the factory reads the same settings (limits: defaults).
        uvicorn.run("limner.cli.serve:app_from_env", factory=True, host=bind_host, port=bind_port, reload=True,
                    log_level=log_level)
        return
    try:
        service = Service.open(settings)
    except PolicyError as exc:
        typer.echo(f"policy error\n{exc}", err=True)
        raise typer.Exit(2) from None
    console.print(f"limner on http://{bind_host}:{bind_port}/  (playground /, operators /admin/review, API /v1)")
    try:
        uvicorn.run(create_app(service, limits, warm_on_start=warm), host=bind_host, port=bind_port,
                    log_level=log_level)
    finally:
        service.close()


def app_from_env() -> object:
    """The app factory `serve --reload` hands to uvicorn."""
    from limner.server.app import create_app

    return create_app(Service.open(Settings.from_env()))
