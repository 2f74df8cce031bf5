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


def clear_result_caches() -> None:
    """Forget every per-content result the classifiers keep (image models' results, text encoder passes).

    Within one request those caches let later gates reuse what earlier ones computed on the same image or text;
    evaluations and benchmarks call this before each request so that every timed request starts cold and a repeated
    prompt is not scored for free.
    """
    from limner.classifiers.image import cache as image_cache

    image_cache.clear()
    try:
        from limner.classifiers.text.embed_head import PIECE_CACHE
    except ImportError:  # the text extra is not installed: it has nothing cached either
        return
    PIECE_CACHE.clear()
