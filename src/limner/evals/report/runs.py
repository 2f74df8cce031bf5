"""Evaluation, reporting: load one run's JSON and say which command wrote it.

Older runs lack some fields (timestamp, limner version, meta altogether); those read as None rather than failing.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("safety", "redteam", "bias", "classifiers", "bench")


class RunError(ValueError):
    """A file that is not a readable evaluation run."""


@dataclass(frozen=True)
class Run:
    path: Path
    kind: str
    data: dict[str, Any]
    png: str | None = None  # base64 of the plot the command wrote beside the JSON
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def policy_version(self) -> str | None:
        v = self.meta.get("policy_version")
        return None if v is None else str(v)

    @property
    def timestamp(self) -> str | None:
        return self.meta.get("timestamp") or self.meta.get("started_at")

    @property
    def label(self) -> str:
        """How the run is named in a comparison: file stem, policy version and time when known."""
        parts = [self.name]
        if self.meta.get("profile"):
            parts.append(f"profile {self.meta['profile']}")
        if self.policy_version:
            parts.append(f"policy {self.policy_version}")
        if self.timestamp:
            parts.append(str(self.timestamp))
        return " · ".join(parts)


def detect_kind(data: dict[str, Any]) -> str:
    """The command that wrote `data`, from its shape (the files carry no explicit kind)."""
    if "kind" in data and data["kind"] in KINDS:
        return str(data["kind"])
    if {"per_category", "overall", "configs"} <= data.keys():
        return "safety"
    if "n_attempts" in data and "per_config" in data:
        return "redteam"
    if "diversifier_off" in data or "diversifier_on" in data:
        return "bias"
    meta: dict[str, Any] = data["meta"] if isinstance(data.get("meta"), dict) else {}
    if "classifiers" in str(meta.get("command", "")) or any(
            isinstance(v, dict) and ("auroc" in v or "thresholds" in v) for v in data.values()):
        return "classifiers"
    return "bench"


def run_stamp() -> dict[str, str]:
    """What every run's meta carries so that runs of two versions can be told apart: UTC time and limner version."""
    from datetime import UTC, datetime
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("limner")
    except PackageNotFoundError:
        v = "unknown"
    return {"timestamp": datetime.now(UTC).isoformat(timespec="seconds"), "limner_version": v}


def load_run(path: Path) -> Run:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RunError(f"{path}: not a readable JSON run ({type(exc).__name__}: {exc})") from exc
    if not isinstance(data, dict):
        raise RunError(f"{path}: a run is a JSON object, got {type(data).__name__}")
    png_path = path.with_suffix(".png")
    png = base64.b64encode(png_path.read_bytes()).decode("ascii") if png_path.is_file() else None
    meta: dict[str, Any] = data["meta"] if isinstance(data.get("meta"), dict) else {}
    kind = detect_kind(data)
    if kind == "bench" and "classifiers" in path.stem:  # `eval classifiers` writes <...>classifiers.json
        kind = "classifiers"
    return Run(path, kind, data, png, dict(meta))
