"""CLI: `limner generate`, one request through the whole pipeline, from the command line."""

from __future__ import annotations

import mimetypes
from pathlib import Path

import typer

from limner.cli.common import console, explain_block, open_service, warm_models
from limner.types import GenerationRequest, Image, Role, Tier, Turn

LOCAL_ACCOUNT = "local"


def generate(
    prompt: str = typer.Argument(..., help="What to draw, e.g. \"a red circle left of a blue square\"."),
    output: Path = typer.Option(Path("out.png"), "--output", "-o", help="Where to write the image (PNG)."),
    image: list[Path] = typer.Option([], "--image", help="Input image(s) for an edit or a composition; repeat."),
    seed: int | None = typer.Option(None, "--seed", help="Same seed, same image."),
    profile: str | None = typer.Option(None, "--profile", help="Policy profile (default: LIMNER_PROFILE or default)."),
    account: str = typer.Option(LOCAL_ACCOUNT, "--account", help="Account to act as; its tier comes from the store."),
) -> None:
    """Generate an image; a refused request prints why and exits with status 1."""
    uploads = []
    for path in image:
        if not path.is_file():
            console.print(f"[red]{path}: no such file[/red]")
            raise typer.Exit(2)
        uploads.append(Image(path.read_bytes(), mimetypes.guess_type(path.name)[0] or "image/png"))
    service = open_service()
    found = service.store.account(account)
    if found is None:
        if account != LOCAL_ACCOUNT:
            console.print(f"[red]no account {account!r}; create it with `limner accounts create`[/red]")
            raise typer.Exit(2)
        found = service.store.upsert_account(LOCAL_ACCOUNT, tier=Tier.ADULT)
    request = GenerationRequest(turns=(Turn(Role.USER, prompt),), account=found, uploads=tuple(uploads),
                                profile=profile, seed=seed)
    pipeline = service.pipeline(profile)
    with console.status("loading models"):
        warm_models(pipeline, include_generator=True)
    with console.status("generating"):
        result = pipeline.generate(request)
    service.close()
    if result.image is None:
        explain_block(result)
        raise typer.Exit(1)
    output.write_bytes(result.image.data)
    console.print(f"wrote {output} ({len(result.image.data)} bytes, request {result.request_id}, "
                  f"{result.elapsed_ms:.0f} ms)")
