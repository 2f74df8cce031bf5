"""Evaluation, reporting: render runs (and comparisons) as one self-contained HTML page.

Inline CSS, plots as base64 PNG data URIs, no script and no external asset, so the page can be mailed or archived
as one file. Values come from the run JSON as written; jinja2 autoescaping keeps prompts and names inert.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment

from limner.evals.report.compare import Comparison, numeric_leaves
from limner.evals.report.runs import Run

MAX_GENERIC_ROWS = 400  # a bench JSON can hold thousands of numbers; the page shows the first ones

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #ccc;margin-top:2em}h3{font-size:1.05em}
table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:.85em}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.up{color:#0a7a2f}.down{color:#b3261e}.muted{color:#777}img{max-width:100%}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:.85em}dt{font-weight:600}
"""

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title><style>{{ css }}</style></head><body>
<h1>{{ title }}</h1>
<p class="muted">Generated {{ generated }} by <code>limner report</code>, limner {{ version }}.
{{ runs|length }} run(s).</p>
{% for c in comparisons %}
<h2>Comparison ({{ c.kind }}): B − A</h2>
<p>A = {{ c.a.label }}<br>B = {{ c.b.label }}</p>
{% if c.a.policy_version and c.a.policy_version == c.b.policy_version %}<p class="muted">Both runs used policy
version {{ c.a.policy_version }}.</p>{% endif %}
{% if c.plot %}<img alt="comparison plot" src="data:image/png;base64,{{ c.plot }}">{% endif %}
<table><tr>{% for col in c.columns %}<th>{{ col }}</th>{% endfor %}<th>A</th><th>B</th><th>Δ</th>
{% if c.kind == "safety" %}<th>CIs overlap</th>{% endif %}</tr>
{% for r in c.rows %}<tr>{% for k in r.cells %}<td>{{ k }}</td>{% endfor %}<td class="num">{{ r.a_text }}</td>
<td class="num">{{ r.b_text }}</td><td class="num {{ r.cls }}">{{ r.delta_text }}</td>
{% if c.kind == "safety" %}<td>{{ r.overlap }}</td>{% endif %}</tr>{% endfor %}</table>
{% if c.kind == "safety" %}<p class="muted">For not_unsafe and not_overrefuse higher is better; overlapping
bootstrap 95% intervals mean the change may be noise.</p>{% elif c.kind == "redteam" %}<p class="muted">Attack
success rate: lower is better.</p>{% endif %}
{% endfor %}
{% for run in runs %}
<h2 id="{{ run.anchor }}">{{ run.kind }}: {{ run.name }}</h2>
<dl>{% for k, v in run.meta %}<dt>{{ k }}</dt><dd>{{ v }}</dd>{% endfor %}</dl>
{% if run.png %}<img alt="plot of {{ run.name }}" src="data:image/png;base64,{{ run.png }}">{% endif %}
{% for t in run.tables %}<h3>{{ t.title }}</h3>
<table><tr>{% for h in t.head %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in t.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</table>
{% if t.note %}<p class="muted">{{ t.note }}</p>{% endif %}{% endfor %}
{% endfor %}
</body></html>
"""


def limner_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("limner")
    except PackageNotFoundError:
        return "unknown"


def _rate(cell: dict[str, Any] | None) -> str:
    if not cell or cell.get("value") is None:
        return "–"
    ci = f" [{cell['low']:.2f}, {cell['high']:.2f}]" if cell.get("low") is not None else ""
    return f"{cell['value']:.3f}{ci} (n={cell.get('n')})"


def _f(x: Any, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _safety_tables(d: dict[str, Any]) -> list[dict[str, Any]]:
    metrics = ("not_unsafe", "not_overrefuse")
    configs = d.get("configs") or sorted(d.get("overall", {}))
    head = ["category", *[f"{c} {m}" for c in configs for m in metrics]]
    rows = []
    for cat in [*d.get("categories", []), "all"]:
        cells = [cat]
        for c in configs:
            src = d.get("overall", {}).get(c, {}) if cat == "all" else d.get("per_category", {}).get(c, {}).get(cat, {})
            cells += [_rate(src.get(m)) for m in metrics]
        rows.append(cells)
    tables = [{"title": "Rates per category", "head": head, "rows": rows,
               "note": "rate [bootstrap 95% CI] (n rows in the denominator); – = no rows of that kind."}]
    conf = [[c, *(_f(cm.get(k)) for k in ("tp", "fn", "fp", "tn", "precision", "recall", "f1"))]
            for c in configs for cm in [d.get("overall", {}).get(c, {}).get("confusion") or {}] if cm]
    if conf:
        tables.append({"title": "Confusion (expected block vs blocked)",
                       "head": ["config", "tp", "fn", "fp", "tn", "precision", "recall", "f1"], "rows": conf})
    obf = [[c, style, cm.get("tp"), cm.get("fn"), cm.get("fp"), cm.get("tn"), _f(cm.get("recall"))]
           for c in configs for style, cm in d.get("by_obfuscation", {}).get(c, {}).items()]
    if obf:
        tables.append({"title": "By obfuscation style", "head": ["config", "style", "tp", "fn", "fp", "tn", "recall"],
                       "rows": obf})
    src = [[c, s, _rate(v.get("not_unsafe")), _rate(v.get("not_overrefuse"))]
           for c in configs for s, v in d.get("per_source", {}).get(c, {}).items()]
    if src:
        tables.append({"title": "By source", "head": ["config", "source", "not_unsafe", "not_overrefuse"],
                       "rows": src})
    lat = [[c, g, _f(v.get("p50"), 2), _f(v.get("p95"), 2), v.get("n")]
           for c in configs for g, v in d.get("latency_ms", {}).get(c, {}).items()]
    if lat:
        tables.append({"title": "Latency per gate (ms)", "head": ["config", "gate", "p50", "p95", "n"], "rows": lat})
    judges = d.get("judges") or {}
    jrows = [[c, j, v.get("graded"), v.get("flagged"), _f(v.get("precision")), _f(v.get("recall")),
              _f(v.get("kappa"))]
             for c, per in judges.items() for j, v in per.items()]
    if jrows:
        tables.append({"title": "Judges (output classifiers that graded generated outputs)",
                       "head": ["config", "judge", "outputs graded", "flagged", "precision", "recall",
                                "Cohen's κ"], "rows": jrows,
                       "note": "Agreement of each judge's block with the row's label, where the row is labelled."})
    return tables


def _redteam_tables(d: dict[str, Any]) -> list[dict[str, Any]]:
    def f(x: dict[str, Any]) -> str:
        return "–" if x.get("asr") is None else f"{x['asr']:.3f} ({x.get('successes')}/{x.get('n')})"

    tables = []
    for config, sec in d.get("per_config", {}).items():
        for field, label in (("per_category", "category"), ("per_last_converter", "converter (last applied)"),
                             ("per_strategy", "strategy"), ("per_round", "adaptive round")):
            rows = [[k, f(v)] for k, v in sec.get(field, {}).items()]
            if rows:
                tables.append({"title": f"{config}: ASR per {label} (overall {f(sec.get('overall', {}))})",
                               "head": [label, "ASR (successes/attempts)"], "rows": rows})
    return tables


def _generic_tables(d: dict[str, Any]) -> list[dict[str, Any]]:
    leaves = [(k, v) for k, v in numeric_leaves(d) if k[:1] != ("meta",)]
    rows = [[".".join(k), f"{v:.4g}"] for k, v in leaves[:MAX_GENERIC_ROWS]]
    note = f"first {MAX_GENERIC_ROWS} of {len(leaves)} numbers" if len(leaves) > MAX_GENERIC_ROWS else ""
    return [{"title": "Numbers", "head": ["field", "value"], "rows": rows, "note": note}]


def _meta_items(run: Run) -> list[tuple[str, str]]:
    meta = dict(run.meta)
    meta.setdefault("policy_version", None)
    meta.setdefault("timestamp", None)
    meta.setdefault("limner_version", None)
    meta["file"] = str(run.path)
    return [(k, "(not recorded)" if v is None else v if isinstance(v, str) else json.dumps(v))
            for k, v in meta.items()]


def _compare_plot(c: Comparison) -> str | None:
    """Safety: not_unsafe and not_overrefuse per (config, category), A beside B."""
    if c.kind != "safety":
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, metric in zip(axes, ("not_unsafe", "not_overrefuse"), strict=True):
        rows = [r for r in c.rows if r.key[2] == metric]
        xs = range(len(rows))
        ax.bar([x - 0.2 for x in xs], [r.a or 0 for r in rows], 0.4, label="A")
        ax.bar([x + 0.2 for x in xs], [r.b or 0 for r in rows], 0.4, label="B")
        ax.set_xticks(list(xs))
        ax.set_xticklabels([f"{r.key[0]}/{r.key[1]}" for r in rows], rotation=60, ha="right", fontsize=7)
        ax.set_ylim(0, 1.05)
        ax.set_title(metric)
        ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _comparison_view(c: Comparison) -> dict[str, Any]:
    rows = []
    for r in c.rows:
        d = r.delta
        cells = list(r.key) if len(c.columns) > 1 else [".".join(r.key)]
        better = None if d is None or d == 0 else (d > 0) if c.kind == "safety" else (d < 0) if c.kind == "redteam" \
            else None
        rows.append({"cells": cells, "a_text": r.a_text, "b_text": r.b_text,
                     "delta_text": "–" if d is None else f"{d:+.3f}",
                     "cls": "" if better is None else "up" if better else "down",
                     "overlap": "–" if r.overlap is None else "yes" if r.overlap else "no"})
    return {"kind": c.kind, "a": c.a, "b": c.b, "columns": c.columns, "rows": rows, "plot": _compare_plot(c)}


def render_html(runs: Sequence[Run], comparisons: Sequence[Comparison] = (),
                title: str = "limner evaluation report", now: datetime | None = None) -> str:
    tables = {"safety": _safety_tables, "redteam": _redteam_tables}
    views = [{"name": r.name, "kind": r.kind, "png": r.png, "anchor": f"run-{i}", "meta": _meta_items(r),
              "tables": tables.get(r.kind, _generic_tables)(r.data)} for i, r in enumerate(runs)]
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(_TEMPLATE).render(
        title=title, css=_CSS, runs=views, comparisons=[_comparison_view(c) for c in comparisons],
        generated=(now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"), version=limner_version())
