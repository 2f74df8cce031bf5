"""CLI: `limner moderate`, the stable batch interface that evaluation tools call.

Reads JSONL requests and writes one decision per line, in input order, running every gate that comes before
generation (`system_only`: prompt gate; `with_chat`: chat gate then prompt gate).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import Progress

from limner.cli.common import console, open_service, warm_models
from limner.pipeline import EvalConfig
from limner.request.batch import BatchLineError, parse_batch_line


def moderate(
    input: Path = typer.Option(..., "--input", "-i", help="JSONL: {\"id\", \"prompt\"} or {\"id\", \"turns\": [...]}, "
                               "optional \"tier\" (adult|under18|under13) and \"image\" (a path)."),
    output: Path = typer.Option(..., "--output", "-o", help="JSONL: {\"id\", \"decision\", \"category\", \"reasons\", "
                                "\"ms\"} per input line, in input order."),
    profile: str | None = typer.Option(None, "--profile", help="Policy profile (default: LIMNER_PROFILE or default)."),
    config: EvalConfig = typer.Option(EvalConfig.WITH_CHAT, "--config",
                                      help="system_only: system gates; with_chat: plus the chat gate."),
    audit: bool = typer.Option(False, "--audit/--no-audit", help="Also write each decision to the audit log."),
) -> None:
    """Moderate a batch of requests without generating anything."""
    if not input.is_file():
        console.print(f"[red]{input}: no such file[/red]")
        raise typer.Exit(2)
    lines = [line for line in input.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = []
    for number, line in enumerate(lines, start=1):
        try:
            items.append(parse_batch_line(json.loads(line), input.parent, number))
        except (json.JSONDecodeError, BatchLineError) as exc:
            console.print(f"[red]{input}: {exc}[/red]")
            raise typer.Exit(2) from None
    service = open_service(with_database=audit)
    pipeline = service.pipeline(profile)
    warm_models(pipeline)
    blocked = 0
    with output.open("w", encoding="utf-8") as out, Progress(console=console, transient=True) as progress:
        task = progress.add_task("moderating", total=len(items))
        for item in items:
            result = pipeline.moderate(item.request, config, record=audit)
            decision = result.blocked_by
            blocked += decision is not None
            row = {
                "id": item.id,
                "decision": "block" if decision else "allow",
                "category": decision.category if decision else None,
                "reasons": [{"code": r.code, "message": r.message, "score": r.score} for r in decision.reasons]
                if decision
                else [],
                "ms": round(result.elapsed_ms, 2),
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            progress.advance(task)
    service.close()
    console.print(f"{len(items)} requests: {blocked} blocked, {len(items) - blocked} allowed -> {output}")
