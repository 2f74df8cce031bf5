"""CLI: `limner audit`, read the audit log, the review queue and the reports."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer
from rich.table import Table

from limner.cli.common import console, open_service
from limner.types import Verdict

audit_app = typer.Typer(help="Read the audit log, the review queue and child-safety reports.", no_args_is_help=True)


@audit_app.command("tail")
def tail(
    limit: int = typer.Option(20, "-n", "--limit", help="How many of the newest requests."),
    blocked: bool = typer.Option(False, "--blocked", help="Only refused requests."),
    json_output: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """The newest requests with their verdict, blocking gate and category."""
    service = open_service()
    records = service.store.tail(limit, Verdict.BLOCK if blocked else None)
    if json_output:
        for record in records:
            typer.echo(json.dumps(asdict(record), default=str))
        return
    table = Table("time", "request", "account", "tier", "verdict", "gate", "category", "prompt")
    for r in records:
        table.add_row(r.created_at.strftime("%Y-%m-%d %H:%M:%S"), r.request_id[:12], r.account_id, r.tier,
                      r.verdict, r.blocked_by or "", r.category or "", (r.prompt or "")[:60])
    console.print(table)


@audit_app.command("show")
def show(request_id: str = typer.Argument(..., help="A request id from `limner audit tail`.")) -> None:
    """Every decision of one request, with reasons and scores."""
    record = open_service().store.get(request_id)
    if record is None:
        console.print(f"[red]no request {request_id!r}[/red]")
        raise typer.Exit(1)
    typer.echo(json.dumps(asdict(record), default=str, indent=2))


@audit_app.command("reports")
def reports() -> None:
    """Export child-safety reports as JSON (CyberTipline-style fields)."""
    typer.echo(open_service().store.export_reports())
