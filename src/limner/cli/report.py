"""CLI: `limner report`, one self-contained HTML page from evaluation run JSONs.

Reads what `limner eval safety` / `eval bias` / `redteam` / `eval classifiers` / `bench *` wrote (docs/benchmarks or
var/eval) and, with `--compare`, sets runs of the same kind side by side (the first of each kind is A, every later one
is B), e.g. two safety runs of different policy versions.
"""

from __future__ import annotations

from pathlib import Path

import typer

from limner.cli.common import console
from limner.evals.report import RunError, compare_runs, load_run, render_html


def report(
    runs: list[Path] = typer.Argument(..., help="Run JSON files (eval safety / bias / redteam / classifiers / bench)."),
    output: Path = typer.Option(Path("docs/benchmarks/report.html"), "--output", "-o", help="HTML file to write."),
    compare: bool = typer.Option(True, "--compare/--no-compare",
                                 help="Compare runs of the same kind side by side (B - A, A = first given)."),
    title: str = typer.Option("limner evaluation report", "--title"),
) -> None:
    """Render evaluation runs (and comparisons between runs of the same kind) as one HTML page."""
    try:
        loaded = [load_run(p) for p in runs]
    except RunError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    comparisons = []
    if compare:
        first: dict[str, int] = {}
        for i, run in enumerate(loaded):
            if run.kind in first:
                comparisons.append(compare_runs(loaded[first[run.kind]], run))
            else:
                first[run.kind] = i
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_html(loaded, comparisons, title), encoding="utf-8")
    console.print(f"{len(loaded)} run(s), {len(comparisons)} comparison(s) -> {output}")
