"""Evaluation, reporting: side-by-side comparison of two runs of the same kind, with deltas (B - A).

Safety runs compare the two rates per config x category (with both CIs, and whether they overlap); red-team runs
compare attack success rate per config x category; other kinds compare every numeric leaf they share.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from limner.evals.report.runs import Run

SAFETY_METRICS = ("not_unsafe", "not_overrefuse")


@dataclass(frozen=True)
class Row:
    key: tuple[str, ...]
    a: float | None
    b: float | None
    a_text: str = ""
    b_text: str = ""
    overlap: bool | None = None  # CIs overlap: the change may be noise

    @property
    def delta(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


@dataclass(frozen=True)
class Comparison:
    kind: str
    a: Run
    b: Run
    columns: tuple[str, ...]
    rows: tuple[Row, ...]


def _cell_text(cell: dict[str, Any] | None) -> str:
    if not cell or cell.get("value") is None:
        return "–"
    ci = f" [{cell['low']:.3f}, {cell['high']:.3f}]" if cell.get("low") is not None else ""
    return f"{cell['value']:.3f}{ci} n={cell.get('n')}"


def _overlap(x: dict[str, Any] | None, y: dict[str, Any] | None) -> bool | None:
    if not x or not y or None in (x.get("low"), x.get("high"), y.get("low"), y.get("high")):
        return None
    return bool(x["low"] <= y["high"] and y["low"] <= x["high"])


def _safety_rows(a: dict[str, Any], b: dict[str, Any]) -> Iterator[Row]:
    for config in sorted(set(a.get("overall", {})) | set(b.get("overall", {}))):
        cats = sorted(set(a.get("per_category", {}).get(config, {})) | set(b.get("per_category", {}).get(config, {})))
        for cat in [*cats, "all"]:
            for metric in SAFETY_METRICS:
                def get(d: dict[str, Any], config: str = config, cat: str = cat, metric: str = metric) -> Any:
                    src = d.get("overall", {}) if cat == "all" else d.get("per_category", {})
                    node = src.get(config, {}) if cat == "all" else src.get(config, {}).get(cat, {})
                    return node.get(metric)
                x, y = get(a), get(b)
                if x is None and y is None:
                    continue
                yield Row((config, cat, metric), (x or {}).get("value"), (y or {}).get("value"), _cell_text(x),
                          _cell_text(y), _overlap(x, y))


def _redteam_rows(a: dict[str, Any], b: dict[str, Any]) -> Iterator[Row]:
    def txt(c: dict[str, Any] | None) -> str:
        return "–" if not c or c.get("asr") is None else f"{c['asr']:.3f} ({c.get('successes')}/{c.get('n')})"

    for config in sorted(set(a.get("per_config", {})) | set(b.get("per_config", {}))):
        sa, sb = a.get("per_config", {}).get(config, {}), b.get("per_config", {}).get(config, {})
        pairs = [("all", sa.get("overall"), sb.get("overall"))]
        for cat in sorted(set(sa.get("per_category", {})) | set(sb.get("per_category", {}))):
            pairs.append((cat, sa.get("per_category", {}).get(cat), sb.get("per_category", {}).get(cat)))
        for cat, x, y in pairs:
            yield Row((config, cat, "asr"), (x or {}).get("asr"), (y or {}).get("asr"), txt(x), txt(y))


def numeric_leaves(data: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], float]]:
    """Every number in a nested JSON value, keyed by its path (lists by index); booleans are not numbers."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from numeric_leaves(v, (*prefix, str(k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from numeric_leaves(v, (*prefix, str(i)))
    elif isinstance(data, int | float) and not isinstance(data, bool):
        yield prefix, float(data)


def _generic_rows(a: dict[str, Any], b: dict[str, Any]) -> Iterator[Row]:
    la = {k: v for k, v in numeric_leaves(a) if k[:1] != ("meta",)}
    lb = {k: v for k, v in numeric_leaves(b) if k[:1] != ("meta",)}
    for key in sorted(set(la) | set(lb)):
        x, y = la.get(key), lb.get(key)
        yield Row(key, x, y, "–" if x is None else f"{x:.4g}", "–" if y is None else f"{y:.4g}")


def compare_runs(a: Run, b: Run) -> Comparison:
    if a.kind != b.kind:
        raise ValueError(f"cannot compare a {a.kind} run ({a.path}) with a {b.kind} run ({b.path})")
    if a.kind == "safety":
        return Comparison(a.kind, a, b, ("config", "category", "metric"), tuple(_safety_rows(a.data, b.data)))
    if a.kind == "redteam":
        return Comparison(a.kind, a, b, ("config", "category", "metric"), tuple(_redteam_rows(a.data, b.data)))
    return Comparison(a.kind, a, b, ("field",), tuple(_generic_rows(a.data, b.data)))
