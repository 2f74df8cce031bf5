"""Evaluation, scale-out: run evaluation items in-process (the default) or sharded over a Ray cluster.

Decides nothing: an executor maps `task(pipeline, item) -> outcome` over items and returns the outcomes in item
order. Pipelines are not picklable, so Ray workers never receive one: each worker is an actor that builds its own
pipeline once from a picklable factory (`ProfilePipeline`: profile name + Settings) and warms it, then runs chunks of
items. Ray is an optional extra (`pip install "limner[ray]"`); nothing here imports it unless `--ray` is given.

Security note: Ray's GCS, raylet and worker ports listen on all interfaces even when the node address is 127.0.0.1.
On a self-hosted box, firewall them or run the cluster in its own network namespace.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from limner.pipeline import Pipeline
from limner.settings import Settings

T = TypeVar("T")
R = TypeVar("R")
Task = Callable[[Pipeline, Any], Any]
Advance = Callable[[int], None]

LOCAL_OBJECT_STORE_BYTES = 200 * 1024 * 1024  # Ray's default takes ~30% of RAM; eval payloads are tiny
LOCAL_NUM_CPUS = 2


class Executor(Protocol):
    def map(self, task: Task, items: Sequence[Any], advance: Advance | None = None) -> list[Any]: ...

    def close(self) -> None: ...


class InProcessExecutor:
    """Items one after another on one pipeline, in this process."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def map(self, task: Task, items: Sequence[Any], advance: Advance | None = None) -> list[Any]:
        out = []
        for item in items:
            out.append(task(self.pipeline, item))
            if advance is not None:
                advance(1)
        return out

    def close(self) -> None:
        """The pipeline belongs to the caller."""


@dataclass(frozen=True)
class ProfilePipeline:
    """Picklable recipe for the pipeline under evaluation: a profile name (or policy YAML path) and the Settings."""

    profile: str | None
    settings: Settings

    def __call__(self) -> Pipeline:
        from limner.components import Components
        from limner.policy.load import load_policy
        from limner.service import Service

        if self.profile and (self.profile.endswith((".yaml", ".yml")) or "/" in self.profile):
            policy = load_policy(Path(self.profile))
        else:
            service = Service.open(self.settings, with_database=False)
            policy = service.profile(self.profile)
            service.close()
        return Pipeline(Components(policy), store=None)  # evaluation traffic is not audited


class _Worker:
    """Ray actor body: one pipeline per worker, built and warmed once."""

    def __init__(self, factory: Callable[[], Pipeline]) -> None:
        from limner.evals.safety import warm

        self.pipeline = factory()
        warm(self.pipeline)

    def ready(self) -> bool:
        return True

    def run(self, task: Task, items: Sequence[Any]) -> list[Any]:
        return [task(self.pipeline, item) for item in items]


def init_ray(address: str) -> bool:
    """Connect to (`auto`, `ray://host:port`, `host:port`) or start (`local`) a cluster; True when we started it."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage report to the Ray project
    import ray

    if ray.is_initialized():
        return False
    if address == "local":
        ray.init(num_cpus=LOCAL_NUM_CPUS, include_dashboard=False, object_store_memory=LOCAL_OBJECT_STORE_BYTES,
                 _node_ip_address="127.0.0.1", log_to_driver=False, configure_logging=False)
        return True
    ray.init(address=address, log_to_driver=False, configure_logging=False)
    return False


class RayExecutor:
    """Items in chunks over `workers` actors; results re-assembled in item order."""

    def __init__(self, factory: Callable[[], Pipeline], address: str = "local", workers: int = 2,
                 chunk_size: int = 16) -> None:
        import ray

        from limner.evals.safety import EvalSetupError

        self._ray = ray
        self._started = init_ray(address)
        self.chunk_size = max(1, chunk_size)
        actor = ray.remote(num_cpus=1)(_Worker)
        self.actors = [actor.remote(factory) for _ in range(max(1, workers))]
        try:
            ray.get([a.ready.remote() for a in self.actors])  # type: ignore[attr-defined]
        except ray.exceptions.RayError as exc:  # a worker's pipeline cannot be built or warmed
            self.close()
            raise EvalSetupError(f"a Ray worker cannot build the pipeline: {exc}") from exc

    def map(self, task: Task, items: Sequence[Any], advance: Advance | None = None) -> list[Any]:
        ray = self._ray
        chunks = [list(items[i:i + self.chunk_size]) for i in range(0, len(items), self.chunk_size)]
        pending: dict[Any, int] = {}
        for k, chunk in enumerate(chunks):  # round-robin; each actor runs its chunks one after another
            pending[self.actors[k % len(self.actors)].run.remote(task, chunk)] = k  # type: ignore[attr-defined]
        results: list[list[Any] | None] = [None] * len(chunks)
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                k = pending.pop(ref)
                results[k] = ray.get(ref)
                if advance is not None:
                    advance(len(chunks[k]))
        return [x for chunk in results for x in (chunk or [])]

    def close(self) -> None:
        for a in getattr(self, "actors", []):
            self._ray.kill(a)
        self.actors = []
        if self._started:
            self._ray.shutdown()
            self._started = False


def make_executor(pipeline: Pipeline | None, factory: Callable[[], Pipeline] | None,
                  ray_address: str | None, workers: int = 2) -> Executor:
    """In-process on `pipeline` unless `ray_address` is given (then `factory` builds each worker's pipeline)."""
    if ray_address:
        if factory is None:
            raise ValueError("a Ray executor needs a picklable pipeline factory")
        return RayExecutor(factory, ray_address, workers)
    if pipeline is None:
        if factory is None:
            raise ValueError("an in-process executor needs a pipeline or a factory")
        pipeline = factory()
    return InProcessExecutor(pipeline)
