"""CLI helpers shared by the commands: opening the service and printing refusals the same way everywhere."""

from __future__ import annotations

import typer
from rich.console import Console

from limner.pipeline import Pipeline, PipelineResult
from limner.policy.load import PolicyError
from limner.service import Service
from limner.settings import Settings

console = Console(stderr=True)


def open_service(with_database: bool = True) -> Service:
    try:
        return Service.open(Settings.from_env(), with_database=with_database)
    except PolicyError as exc:
        typer.echo(f"policy error\n{exc}", err=True)
        raise typer.Exit(2) from None


def warm_models(pipeline: Pipeline, include_generator: bool = False) -> None:
    """Load the models before the first request: a cold load (seconds for MiniLM) inside a gate's deadline would
    refuse that request. A model that cannot load is reported here; the gates then refuse what it checks."""
    for plugin, error in pipeline.components.warm(include_generator=include_generator).items():
        console.print(f"[yellow]{plugin} could not load ({error}); requests it checks will be refused[/yellow]")


def explain_block(result: PipelineResult) -> None:
    decision = result.blocked_by
    if decision is None:
        return
    console.print(f"[red]Refused[/red] by the {decision.gate} check (request {result.request_id}):")
    for reason in decision.reasons:
        score = f" (score {reason.score:.2f})" if reason.score is not None else ""
        console.print(f"  - {reason.message}{score}  [dim]{reason.code}[/dim]")
