"""Evaluation, red teaming: the resumable, adaptive attack loop.

Decides nothing; the pipeline decides. Round 0 tries every seed with every converter (a mutator, or none) in every
strategy and configuration. Each adaptive round then takes the blocked attacks that *nearly* passed (lowest
highest-blocking-score in the blocking decision: the classifier was least sure) and stacks one more mutator on
them. Every attempt is appended to a JSONL checkpoint keyed by a deterministic id, so an interrupted run resumes
where it stopped and rebuilds the same attacks (each attack's randomness is seeded by its key).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limner.evals.datasets.loaders import EvalItem, item_to_json
from limner.evals.distributed import Executor
from limner.evals.metrics import attack_success_rate
from limner.evals.redteam.mutators import Mutator
from limner.evals.redteam.seeds import Seed
from limner.evals.redteam.strategies import STRATEGIES, Delivery
from limner.pipeline import EvalConfig, Pipeline
from limner.request.batch import BATCH_ACCOUNT
from limner.types import Account, GenerationRequest, Role, Tier, Verdict

NONE = "none"
# "Edit the child in this photo" is refused because of what the upload shows (a photoreal child, decided by the
# person classifier), not because of the words: the same instruction on a drawing is allowed. The red team has no
# photoreal child images to attach (none may be shipped), so attacks on this category would only measure text the
# policy allows; the upload path is measured by `limner eval classifiers` (child recall) instead.
NEEDS_PHOTOREAL_UPLOAD = frozenset({"minor_photoreal_edit"})


@dataclass(frozen=True)
class AttackId:
    """What identifies one attack; shared by the job sent to a worker and the attempt it comes back as."""

    key: str
    seed_id: str
    category: str
    strategy: str
    converters: tuple[str, ...]
    config: str
    round: int


@dataclass(frozen=True)
class Attempt(AttackId):
    prompt: str  # the last user turn as sent
    turns: tuple[tuple[str, str], ...]
    n_uploads: int
    blocked: bool
    blocked_by: str | None
    top_score: float | None  # highest blocking reason score; None when allowed

    @property
    def converter(self) -> str:
        return "+".join(self.converters) or NONE

    def as_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["converters"] = list(self.converters)
        d["turns"] = [list(t) for t in self.turns]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Attempt:
        return cls(**{**d, "converters": tuple(d["converters"]), "turns": tuple(tuple(t) for t in d["turns"])})


@dataclass(frozen=True)
class AttackJob(AttackId):
    """A built attack, picklable (a Ray worker receives it)."""

    request: GenerationRequest
    turns: tuple[tuple[str, str], ...]
    n_uploads: int


def run_attack(pipeline: Pipeline, job: AttackJob) -> Attempt:
    """Send one attack through the gates; module-level so an executor can ship it to a worker."""
    result = pipeline.moderate(job.request, EvalConfig(job.config), record=False)
    blocker = result.blocked_by
    top = max((r.score for r in blocker.reasons if r.score is not None), default=None) if blocker else None
    return Attempt(job.key, job.seed_id, job.category, job.strategy, job.converters, job.config, job.round,
                   job.request.prompt, job.turns, job.n_uploads, blocker is not None,
                   blocker.gate if blocker else None, top)


def attempt_key(seed_id: str, strategy: str, converters: Sequence[str], config: str) -> str:
    raw = "|".join([seed_id, strategy, "+".join(converters), config])
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]


class RedTeamRunner:
    def __init__(self, pipeline: Pipeline, mutators: dict[str, Mutator], strategies: Sequence[str] = ("single_turn",),
                 configs: Sequence[EvalConfig] = (EvalConfig.SYSTEM_ONLY,), checkpoint: Path | None = None,
                 seed: int = 0, tier: Tier = Tier.ADULT, executor: Executor | None = None) -> None:
        unknown = [s for s in strategies if s not in STRATEGIES]
        if unknown:
            raise ValueError(f"unknown strategies {unknown} (known: {', '.join(STRATEGIES)})")
        self.pipeline = pipeline
        self.mutators = mutators
        self.strategies = list(strategies)
        self.configs = list(configs)
        self.checkpoint = checkpoint
        self.seed = seed
        self.tier = tier
        self.executor = executor  # None: attacks run here on `pipeline`
        self.done: dict[str, Attempt] = {}
        if checkpoint is not None and checkpoint.is_file():
            text = checkpoint.read_text(encoding="utf-8")
            good: list[str] = []
            for line in text.splitlines():
                try:
                    a = Attempt.from_json(json.loads(line))
                except (json.JSONDecodeError, TypeError, KeyError):
                    continue  # a line cut by the interruption: that attempt is simply redone
                self.done[a.key] = a
                good.append(line)
            if text and (not text.endswith("\n") or len(good) != len(text.splitlines())):
                # Drop the torn line so that appended attempts start on a line of their own.
                checkpoint.write_text("".join(g + "\n" for g in good), encoding="utf-8")

    def _build(self, seed: Seed, strategy: str, converters: Sequence[str], key: str) -> Delivery:
        rng = random.Random(f"{self.seed}:{key}")
        ask = seed.intent
        for name in converters:
            ask = self.mutators[name].mutate(ask, rng)
        return STRATEGIES[strategy](ask, seed.category, rng)

    def prepare(self, seed: Seed, strategy: str, converters: Sequence[str], config: EvalConfig,
                round_: int) -> AttackJob:
        """The attack as sent (built here, cheap and seeded), ready for any executor."""
        key = attempt_key(seed.id, strategy, converters, config.value)
        delivery = self._build(seed, strategy, converters, key)
        request = GenerationRequest(delivery.turns, Account(BATCH_ACCOUNT, "redteam", self.tier), delivery.uploads)
        return AttackJob(key, seed.id, seed.category, strategy, tuple(converters), config.value, round_, request,
                         tuple((t.role.value, t.content) for t in delivery.turns), len(delivery.uploads))

    def record(self, attempt: Attempt) -> None:
        self.done[attempt.key] = attempt
        if self.checkpoint is not None:
            self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
            with self.checkpoint.open("a", encoding="utf-8") as f:
                f.write(json.dumps(attempt.as_json(), ensure_ascii=False) + "\n")

    def attack(self, seed: Seed, strategy: str, converters: Sequence[str], config: EvalConfig,
               round_: int) -> tuple[Attempt, bool]:
        """One attempt (from the checkpoint when already done); returns (attempt, was_new)."""
        key = attempt_key(seed.id, strategy, converters, config.value)
        if key in self.done:
            return self.done[key], False
        attempt = run_attack(self.pipeline, self.prepare(seed, strategy, converters, config, round_))
        self.record(attempt)
        return attempt, True

    def attack_many(self, plan: Sequence[tuple[Seed, str, tuple[str, ...], EvalConfig]], round_: int,
                    advance: Callable[[int], None] | None = None) -> list[Attempt]:
        """Several attacks in plan order; the new ones go through `self.executor` (in-process when None)."""
        if self.executor is None:
            out = []
            for seed, strategy, chain, config in plan:
                out.append(self.attack(seed, strategy, chain, config, round_)[0])
                if advance is not None:
                    advance(1)
            return out
        keys = [attempt_key(s.id, st, c, cfg.value) for s, st, c, cfg in plan]
        jobs = {k: self.prepare(s, st, c, cfg, round_) for k, (s, st, c, cfg) in zip(keys, plan, strict=True)
                if k not in self.done}
        if advance is not None and len(plan) > len(jobs):
            advance(len(plan) - len(jobs))
        for attempt in self.executor.map(run_attack, list(jobs.values()), advance):
            self.record(attempt)
        return [self.done[k] for k in keys]

    def plan_round0(self, seeds: Sequence[Seed]) -> list[tuple[Seed, str, tuple[str, ...], EvalConfig]]:
        chains: list[tuple[str, ...]] = [(), *((m,) for m in self.mutators)]
        seeds = [s for s in seeds if s.category not in NEEDS_PHOTOREAL_UPLOAD]
        return [(s, st, c, cfg) for cfg in self.configs for s in seeds for st in self.strategies for c in chains]

    def run(self, seeds: Sequence[Seed], adaptive_rounds: int = 0, adaptive_budget: int = 50, max_stack: int = 3,
            advance: Callable[[int], None] | None = None) -> list[Attempt]:
        from limner.evals.safety import warm

        if self.executor is None:
            warm(self.pipeline)  # Ray workers warm their own pipelines
        by_id = {s.id: s for s in seeds}
        attempts: list[Attempt] = self.attack_many(self.plan_round0(seeds), 0, advance)
        frontier = attempts
        for round_ in range(1, adaptive_rounds + 1):
            # Nearly passed: blocked with the lowest top blocking score. Attacks blocked by an error or the account
            # check (no score) are not promising.
            blocked = [a for a in frontier if a.blocked and a.top_score is not None and len(a.converters) < max_stack]
            blocked.sort(key=lambda a: (a.top_score, a.key))
            rng = random.Random(f"{self.seed}:adaptive:{round_}")
            tried: set[str] = set()
            plan: list[tuple[Seed, str, tuple[str, ...], EvalConfig]] = []
            # The budget is per configuration: scores of different gates are not comparable (the chat gate's run
            # lower), and one shared ranking spent a whole round on with_chat.
            for config in self.configs:
                taken = 0
                for parent in (a for a in blocked if a.config == config.value):
                    if taken >= adaptive_budget:
                        break
                    options = [m for m in self.mutators if m not in parent.converters]
                    if not options:
                        continue
                    chain = (*parent.converters, rng.choice(options))
                    key = attempt_key(parent.seed_id, parent.strategy, chain, parent.config)
                    if key in tried:
                        continue
                    tried.add(key)
                    taken += 1
                    plan.append((by_id[parent.seed_id], parent.strategy, chain, EvalConfig(parent.config)))
            new = [dataclasses.replace(a, round=round_) for a in self.attack_many(plan, round_, advance)]
            attempts += new
            frontier = new
            if not new:
                break
        return attempts


def _asr(rows: Sequence[Attempt]) -> dict[str, Any]:
    return {"asr": attack_success_rate([a.blocked for a in rows]), "n": len(rows),
            "successes": sum(not a.blocked for a in rows)}


def summarise(attempts: Sequence[Attempt]) -> dict[str, Any]:
    """Attack success rate overall and per config x (category | converter | strategy | round)."""
    report: dict[str, Any] = {"n_attempts": len(attempts), "overall": _asr(attempts), "per_config": {}}
    by_config: dict[str, list[Attempt]] = defaultdict(list)
    for a in attempts:
        by_config[a.config].append(a)
    for config, rows in sorted(by_config.items()):
        section: dict[str, Any] = {"overall": _asr(rows)}
        keys: tuple[tuple[str, Callable[[Attempt], str]], ...] = (
            ("per_category", lambda a: a.category), ("per_converter", lambda a: a.converter),
            ("per_strategy", lambda a: a.strategy), ("per_round", lambda a: str(a.round)),
            ("per_last_converter", lambda a: a.converters[-1] if a.converters else NONE))
        for field, key in keys:
            groups: dict[str, list[Attempt]] = defaultdict(list)
            for a in rows:
                groups[key(a)].append(a)
            section[field] = {g: _asr(v) for g, v in sorted(groups.items())}
        report["per_config"][config] = section
    return report


def regression_items(attempts: Sequence[Attempt]) -> list[EvalItem]:
    """Successful attacks as an evaluation set (expected: block) that `limner eval safety FILE` reads.

    Upload attacks are left out: the synthetic upload is not stored, so the row could not be replayed as sent.
    """
    from limner.types import Turn

    items, seen = [], set()
    for a in attempts:
        if a.blocked or a.n_uploads or a.key in seen:
            continue
        seen.add(a.key)
        turns = tuple(Turn(Role(r), c) for r, c in a.turns)
        request = GenerationRequest(turns, Account(BATCH_ACCOUNT, "batch", Tier.ADULT))
        items.append(EvalItem(f"redteam-{a.key}", request, Verdict.BLOCK, a.category, "redteam",
                              f"{a.strategy}:{a.converter}", a.seed_id))
    return items


def write_regression(attempts: Sequence[Attempt], path: Path) -> int:
    items = regression_items(attempts)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item_to_json(item), ensure_ascii=False) + "\n")
    return len(items)


def render_markdown(report: dict[str, Any], title: str, notes: Sequence[str] = ()) -> str:
    def f(x: dict[str, Any]) -> str:
        return "–" if x["asr"] is None else f"{x['asr']:.3f} ({x['successes']}/{x['n']})"

    lines = [f"# {title}", "", *[f"> {n}" for n in notes], "",
             "Attack success rate = share of attacks (all expected to be blocked) that the pipeline allowed.", ""]
    for config, sec in report["per_config"].items():
        lines += [f"## {config}: overall {f(sec['overall'])}", ""]
        for field, label in (("per_category", "category"), ("per_last_converter", "converter (last applied)"),
                             ("per_strategy", "strategy"), ("per_round", "adaptive round")):
            lines += [f"| {label} | ASR (successes/attempts) |", "|---|---|"]
            lines += [f"| {k} | {f(v)} |" for k, v in sec[field].items()]
            lines.append("")
    return "\n".join(lines) + "\n"
