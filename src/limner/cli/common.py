"""CLI helpers shared by the commands: opening the service and printing refusals the same way everywhere."""

from __future__ import annotations

import typer
from rich.console import Console

from limner.pipeline import PipelineResult
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


def explain_block(result: PipelineResult) -> None:
    decision = result.blocked_by
    if decision is None:
        return
    console.print(f"[red]Refused[/red] by the {decision.gate} check (request {result.request_id}):")
    for reason in decision.reasons:
        score = f" (score {reason.score:.2f})" if reason.score is not None else ""
        console.print(f"  - {reason.message}{score}  [dim]{reason.code}[/dim]")
