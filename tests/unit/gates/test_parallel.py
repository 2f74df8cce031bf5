"""Gates: classifiers run in parallel decide exactly as they do in sequence, faster, and still fail closed."""

from __future__ import annotations

import threading
import time
from typing import ClassVar

import pytest

from limner.gates.base import GateContext, run_classifiers
from limner.policy.schema import Policy
from limner.types import Account, GenerationRequest, Modality, Role, Sample, Score, Turn


class Sleeper:
    """Scores one label after sleeping: stands for a single-threaded model that releases the GIL."""

    modality: ClassVar[Modality] = Modality.TEXT

    def __init__(self, name: str, label: str, value: float, seconds: float) -> None:
        self.name, self.label, self.value, self.seconds = name, label, value, seconds
        self.threads: set[str] = set()

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        self.threads.add(threading.current_thread().name)
        time.sleep(self.seconds)
        return (Score(self.label, self.value),)


class Broken(Sleeper):
    def classify(self, sample: Sample) -> tuple[Score, ...]:
        time.sleep(self.seconds)
        raise RuntimeError("model crashed")


def _ctx(policy: Policy) -> GateContext:
    return GateContext(GenerationRequest(turns=(Turn(Role.USER, "a forest"),), account=Account(id="a")), policy)


def _samples() -> dict[Modality, list[Sample]]:
    return {Modality.TEXT: [Sample(text="a forest")]}


def test_parallel_takes_the_slowest_not_the_sum_and_decides_the_same(basic_policy: Policy) -> None:
    def gate_parts() -> list[Sleeper]:
        # The slow one finishes last but is listed first: reasons and scores must still come in policy order.
        return [Sleeper("slow", "violence/graphic", 0.9, 0.4), Sleeper("fast", "hate", 0.7, 0.05),
                Sleeper("quiet", "sexual", 0.1, 0.2)]

    start = time.perf_counter()
    parallel = run_classifiers("prompt", gate_parts(), _samples(), _ctx(basic_policy), fail_fast=True, parallel=True)
    parallel_s = time.perf_counter() - start
    sequential = run_classifiers("prompt", gate_parts(), _samples(), _ctx(basic_policy), fail_fast=False)

    assert parallel_s < 0.6  # sequential would take 0.65 s
    assert parallel.verdict == sequential.verdict
    assert parallel.reasons == sequential.reasons
    assert parallel.scores == sequential.scores
    assert [r.code for r in parallel.reasons] == ["prompt.slow.violence/graphic", "prompt.fast.hate"]


def test_sequential_fail_fast_skips_the_rest_parallel_runs_everything(basic_policy: Policy) -> None:
    first, second = Sleeper("first", "hate", 0.9, 0.0), Sleeper("second", "sexual", 0.1, 0.0)
    run_classifiers("prompt", [first, second], _samples(), _ctx(basic_policy), fail_fast=True)
    assert not second.threads  # stopped at the first blocking classifier
    run_classifiers("prompt", [first, second], _samples(), _ctx(basic_policy), fail_fast=True, parallel=True)
    assert second.threads and all(t.startswith("limner-classifier") for t in second.threads)


def test_a_crashing_classifier_fails_the_parallel_gate(basic_policy: Policy) -> None:
    parts = [Sleeper("ok", "hate", 0.1, 0.0), Broken("broken", "sexual", 0.0, 0.05)]
    with pytest.raises(RuntimeError, match="model crashed"):  # the pipeline turns this into gate_error, a block
        run_classifiers("prompt", parts, _samples(), _ctx(basic_policy), fail_fast=True, parallel=True)
