"""Classifiers: map each head's raw probability to a calibrated score whose 0.5 is the measured operating point.

The heads' raw probabilities are sharp and differ per label (benign prompts score near 0, and the best violence cut
on dev is 0.06, not 0.5). Policy thresholds are per label and shared by every classifier emitting that label, so each
classifier ships its own operating points (`thresholds.yaml`, chosen on dev by `benchmarks/text_safety.py --tune`)
and rescales piecewise-linearly: raw == operating point -> 0.5, 0 -> 0, 1 -> 1. A policy threshold of 0.5 then means
"this classifier's tuned cut", and lower or higher policy thresholds move stricter or laxer from there.
"""

from __future__ import annotations

from pathlib import Path

import yaml

OPERATING_POINTS = Path(__file__).parent / "thresholds.yaml"


def load_operating_points(classifier: str, path: Path = OPERATING_POINTS) -> dict[str, float]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    points = data.get(classifier, {})
    for label, point in points.items():
        if not 0.0 < float(point) < 1.0:
            raise ValueError(f"{path}: {classifier}.{label}: operating point must be in (0, 1), got {point}")
    return {label: float(point) for label, point in points.items()}


def calibrate(raw: float, point: float | None) -> float:
    """Rescale `raw` so that `point` maps to 0.5; identity when the label has no operating point."""
    raw = min(1.0, max(0.0, raw))
    if point is None:
        return raw
    if raw < point:
        return 0.5 * raw / point
    return 0.5 + 0.5 * (raw - point) / (1.0 - point)
