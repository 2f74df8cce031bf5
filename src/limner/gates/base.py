"""Gates: the shared mechanism every gate uses to turn classifier scores into a `Decision`.

A gate hands each of its classifiers the samples it can read, collects their scores, and applies the policy: a label
blocks when its score reaches the tier's threshold, unless a context rule lifts it. Any classifier error or a
missing model raises, and `fail_closed` in the pipeline turns that into a block with reason `gate_error`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from limner.classifiers.base import Classifier
from limner.policy.schema import Category, Policy
from limner.types import Decision, GeneratedImage, GenerationRequest, Modality, Reason, Sample, Score, Verdict


@dataclass(frozen=True)
class GateContext:
    request: GenerationRequest
    policy: Policy
    output: GeneratedImage | None = None  # set for the output gate only


class Gate(Protocol):
    name: ClassVar[str]

    def check(self, ctx: GateContext) -> Decision: ...


class GateError(RuntimeError):
    """A gate could not reach a decision; the pipeline blocks the request."""


@dataclass
class ScoreSheet:
    """Scores gathered by one gate, keyed by the classifier that produced them."""

    by_classifier: list[tuple[str, Score]] = field(default_factory=list)

    def add(self, classifier: str, scores: Sequence[Score]) -> None:
        self.by_classifier.extend((classifier, score) for score in scores)

    def best(self, label: str) -> float:
        return max((s.value for _, s in self.by_classifier if s.label == label), default=0.0)

    def as_dict(self) -> dict[str, float]:
        flat: dict[str, float] = {}
        for classifier, score in self.by_classifier:
            key = f"{classifier}.{score.label}"
            flat[key] = max(flat.get(key, 0.0), round(score.value, 4))
        return flat


def _lifted_by_context(label: str, classifier: str, sheet: ScoreSheet, policy: Policy, ctx: GateContext) -> bool:
    tier = ctx.request.account.tier
    for rule in policy.context_rules:
        if rule.label != label or tier not in rule.tiers:
            continue
        if rule.from_classifiers and classifier not in rule.from_classifiers:
            continue
        allowed = any(sheet.best(c) >= rule.context_threshold for c in rule.allow_when)
        vetoed = any(sheet.best(c) >= rule.context_threshold for c in rule.unless)
        if allowed and not vetoed:
            return True
    return False


def blocking_reasons(gate: str, sheet: ScoreSheet, ctx: GateContext) -> list[Reason]:
    """Reasons for every label whose score reaches its tier threshold and no context rule lifts."""
    policy = ctx.policy
    tier = ctx.request.account.tier
    reasons: dict[str, Reason] = {}
    for classifier, score in sheet.by_classifier:
        spec = policy.labels.get(score.label)
        if spec is None:
            # A classifier emitting a label the policy does not know is a configuration error: fail closed.
            raise GateError(f"classifier {classifier!r} emitted label {score.label!r} that the policy does not define")
        if spec.category == Category.CONTEXT:
            continue
        threshold = policy.threshold(score.label, tier)
        if threshold is None or score.value < threshold:
            continue
        if _lifted_by_context(score.label, classifier, sheet, policy, ctx):
            continue
        code = f"{gate}.{classifier}.{score.label}"
        message = spec.message + (f": {score.rationale}" if score.rationale else "")
        previous = reasons.get(code)
        if previous is None or (previous.score or 0.0) < score.value:
            reasons[code] = Reason(code=code, category=spec.category.value, message=message, score=score.value)
    return sorted(reasons.values(), key=lambda r: -(r.score or 0.0))


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def classifier_pool() -> ThreadPoolExecutor:
    """The process-wide pool that parallel gates run their classifiers on.

    One pool for every request bounds how many models run at once (a few per core: ONNX Runtime and torch release
    the GIL, and each model runs single-threaded) however many requests arrive; a gate's own thread only waits.
    """
    global _pool
    with _pool_lock:
        if _pool is None:
            workers = max(2, 2 * (os.cpu_count() or 1))
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="limner-classifier")
        return _pool


def _classify_all(classifier: Classifier, samples: Sequence[Sample]) -> list[Score]:
    return [score for sample in samples for score in classifier.classify(sample)]


def run_classifiers(
    gate: str,
    classifiers: Sequence[Classifier],
    samples_for: dict[Modality, list[Sample]],
    ctx: GateContext,
    fail_fast: bool,
    parallel: bool = False,
) -> Decision:
    """Run each classifier on the samples of its modality and decide; shared by the chat, prompt and output gates.

    Sequential (default): classifiers run in the policy's order and `fail_fast` stops at the first that blocks, so
    cheap ones first saves the expensive ones on a clear refusal. Parallel: every classifier with something to read
    starts at once on `classifier_pool()`, so the gate takes about as long as its slowest classifier instead of the
    sum; all of them run, and the decision is the same as a sequential run without `fail_fast` (scores are
    gathered in the policy's order, so reasons and audit records do not depend on which model finished first).
    """
    start = time.perf_counter()
    if not classifiers:
        raise GateError(f"the {gate} gate is enabled but lists no classifiers")
    sheet = ScoreSheet()
    reasons: list[Reason] = []
    work = [(c, samples_for.get(c.modality, [])) for c in classifiers]
    if parallel and sum(1 for _, samples in work if samples) > 1:
        pool = classifier_pool()
        futures: list[tuple[str, Future[list[Score]]]] = [
            (c.name, pool.submit(_classify_all, c, samples)) for c, samples in work if samples
        ]
        for name, future in futures:
            sheet.add(name, future.result())  # a classifier's exception fails the gate, closed
        reasons = blocking_reasons(gate, sheet, ctx)
    else:
        for classifier, samples in work:
            sheet.add(classifier.name, _classify_all(classifier, samples))
            reasons = blocking_reasons(gate, sheet, ctx)
            if reasons and fail_fast:
                break
    verdict = Verdict.BLOCK if reasons else Verdict.ALLOW
    elapsed_ms = (time.perf_counter() - start) * 1000
    return Decision(
        verdict=verdict,
        gate=gate,
        reasons=tuple(reasons),
        scores=sheet.as_dict(),
        elapsed_ms=elapsed_ms,
        policy_version=ctx.policy.version,
    )


class ClassifierGate:
    """A gate that runs a list of classifiers; subclasses say which samples each modality reads."""

    name: ClassVar[str]

    def __init__(self, classifiers: Sequence[Classifier], fail_fast: bool = True, parallel: bool = False) -> None:
        self.classifiers = list(classifiers)
        self.fail_fast = fail_fast
        self.parallel = parallel

    def samples(self, ctx: GateContext) -> dict[Modality, list[Sample]]:
        raise NotImplementedError

    def check(self, ctx: GateContext) -> Decision:
        return run_classifiers(self.name, self.classifiers, self.samples(ctx), ctx, self.fail_fast, self.parallel)
