"""Classifier protocol: classifiers measure (scores), gates decide (thresholds from the policy)."""

from __future__ import annotations

from typing import ClassVar, Protocol, runtime_checkable

from limner.types import Modality, Sample, Score


class ClassifierUnavailable(RuntimeError):
    """A model file or optional dependency is missing. Gates treat this as an error and fail closed."""


@runtime_checkable
class Classifier(Protocol):
    name: ClassVar[str]  # stable key used in policy YAML and audit rows
    modality: ClassVar[Modality]
    labels: ClassVar[tuple[str, ...]]  # taxonomy labels this classifier may emit

    def classify(self, sample: Sample) -> tuple[Score, ...]: ...
