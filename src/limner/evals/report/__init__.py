"""Evaluation, reporting: one self-contained HTML page from the JSON runs the eval commands wrote.

Decides nothing: it reads `limner eval safety` / `eval bias` / `redteam` / `eval classifiers` / `bench *` JSON files,
renders their tables, config and policy/limner version, embeds the plot each command wrote beside its JSON (base64
PNG, so the page has no external file), and, for two runs of the same kind, a side-by-side comparison with deltas.
"""

from __future__ import annotations

from limner.evals.report.compare import compare_runs
from limner.evals.report.html import render_html
from limner.evals.report.runs import Run, RunError, detect_kind, load_run

__all__ = ["Run", "RunError", "compare_runs", "detect_kind", "load_run", "render_html"]
