"""The spine: account check -> chat gate -> prompt gate -> generator -> output gate -> provenance -> audit.

Every decision on a request's way through limner is made in one of the gates this module calls, in this order. The
pipeline fails closed: an exception, a timeout or a missing model in any stage blocks the request with reason
`gate_error`, so the caller never receives an unchecked image.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from enum import StrEnum

from limner.components import Components
from limner.gates.base import Gate, GateContext
from limner.storage.audit import AuditStore, EnforcementOutcome, new_id
from limner.types import Decision, GeneratedImage, GenerationRequest, Image, Reason, Verdict


class EvalConfig(StrEnum):
    """The two configurations of the seed system's evaluation tables."""

    SYSTEM_ONLY = "system_only"  # system gates only
    WITH_CHAT = "with_chat"  # plus the chat model's refusals (the chat gate)


@dataclass(frozen=True)
class PipelineResult:
    request_id: str
    decisions: tuple[Decision, ...]
    image: Image | None = None  # the delivered image (with provenance); None when blocked or only moderated
    generated: GeneratedImage | None = None
    enforcement: EnforcementOutcome | None = None
    elapsed_ms: float = 0.0

    @property
    def blocked_by(self) -> Decision | None:
        return next((d for d in self.decisions if d.verdict == Verdict.BLOCK), None)

    @property
    def allowed(self) -> bool:
        return self.blocked_by is None


def error_decision(gate: str, detail: str, policy_version: str, elapsed_ms: float = 0.0) -> Decision:
    reason = Reason(code=f"{gate}.gate_error", category="gate_error",
                    message=f"the {gate} check could not complete, so the request was refused ({detail})")
    return Decision(Verdict.BLOCK, gate, (reason,), {}, elapsed_ms, policy_version)


class Pipeline:
    def __init__(self, components: Components, store: AuditStore | None = None, max_workers: int = 4) -> None:
        self.components = components
        self.store = store
        # Gates run on worker threads so a hung model can be abandoned at its timeout (the thread cannot be killed,
        # but the request is refused at once and never waits on it).
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="limner-gate")

    @property
    def policy_version(self) -> str:
        return self.components.policy.version

    def _fail_closed(self, gate: Gate, ctx: GateContext, timeout_ms: int) -> Decision:
        start = time.perf_counter()
        future = self._executor.submit(gate.check, ctx)
        try:
            return future.result(timeout=timeout_ms / 1000)
        except FutureTimeout:
            future.cancel()
            detail = f"timed out after {timeout_ms} ms"
        except Exception as exc:  # any failure of a gate is a refusal, never a pass
            detail = f"{type(exc).__name__}: {exc}"
        return error_decision(gate.name, detail, self.policy_version, (time.perf_counter() - start) * 1000)

    def _account_decision(self, request: GenerationRequest) -> Decision | None:
        policy = self.components.policy
        account = request.account
        if account.banned:
            reason = Reason("account.banned", "account", "this account is suspended; contact the operator to appeal")
            return Decision(Verdict.BLOCK, "account", (reason,), {}, 0.0, policy.version)
        tier = policy.tiers.get(account.tier)
        if tier is not None and tier.refused:
            message = tier.message or f"accounts of tier {account.tier} may not use this service"
            reason = Reason(f"account.tier.{account.tier}", "account", message)
            return Decision(Verdict.BLOCK, "account", (reason,), {}, 0.0, policy.version)
        return None

    def _pre_generation(self, request: GenerationRequest, config: EvalConfig) -> list[Decision]:
        account_decision = self._account_decision(request)
        if account_decision is not None:
            return [account_decision]
        ctx = GateContext(request=request, policy=self.components.policy)
        decisions: list[Decision] = []
        if not request.prompt.strip():
            reason = Reason("request.empty_prompt", "request", "the conversation has no user request to answer")
            return [Decision(Verdict.BLOCK, "request", (reason,), {}, 0.0, self.policy_version)]
        gates = self.components.pre_generation_gates(with_chat=config == EvalConfig.WITH_CHAT)
        for gate, timeout_ms in gates:
            decision = self._fail_closed(gate, ctx, timeout_ms)
            decisions.append(decision)
            if not decision.allowed:
                break
        return decisions

    def moderate(self, request: GenerationRequest, config: EvalConfig = EvalConfig.WITH_CHAT,
                 record: bool = True) -> PipelineResult:
        """Every check that comes before generation; nothing is generated."""
        start = time.perf_counter()
        request_id = new_id()
        decisions = self._pre_generation(request, config)
        elapsed_ms = (time.perf_counter() - start) * 1000
        enforcement = self._record(request_id, request, decisions, "moderate", elapsed_ms) if record else None
        return PipelineResult(request_id, tuple(decisions), enforcement=enforcement, elapsed_ms=elapsed_ms)

    def generate(self, request: GenerationRequest, config: EvalConfig = EvalConfig.WITH_CHAT,
                 record: bool = True) -> PipelineResult:
        """The whole path: gates, generation, the output gate, provenance and the audit record.

        `config=system_only` skips the chat gate (evaluation only; the service always runs it).
        """
        start = time.perf_counter()
        request_id = new_id()
        decisions = self._pre_generation(request, config)
        generated: GeneratedImage | None = None
        delivered: Image | None = None
        if all(d.allowed for d in decisions):
            generated, decision = self._generate(request)
            if decision is not None:
                decisions.append(decision)
            else:
                assert generated is not None
                output_ctx = GateContext(request=request, policy=self.components.policy, output=generated)
                gate, timeout_ms = self.components.output_gate()
                decision = self._fail_closed(gate, output_ctx, timeout_ms)
                decisions.append(decision)
                if decision.allowed:
                    delivered, decision = self._stamp(generated, request, request_id)
                    if decision is not None:
                        decisions.append(decision)
        elapsed_ms = (time.perf_counter() - start) * 1000
        enforcement = (self._record(request_id, request, decisions, "generate", elapsed_ms, generated, delivered)
                       if record else None)
        return PipelineResult(request_id, tuple(decisions), delivered, generated, enforcement, elapsed_ms)

    def _generate(self, request: GenerationRequest) -> tuple[GeneratedImage | None, Decision | None]:
        start = time.perf_counter()
        try:
            request = self.components.diversify(request)
            return self.components.generator().generate(request), None
        except Exception as exc:
            elapsed_ms = (time.perf_counter() - start) * 1000
            return None, error_decision("generator", f"{type(exc).__name__}: {exc}", self.policy_version, elapsed_ms)

    def _stamp(self, generated: GeneratedImage, request: GenerationRequest,
               request_id: str) -> tuple[Image | None, Decision | None]:
        stamper = self.components.provenance()
        if stamper is None:
            return generated.image, None
        try:
            return stamper.stamp(generated, request, request_id), None
        except Exception as exc:  # an image that cannot be marked is not delivered
            return None, error_decision("provenance", f"{type(exc).__name__}: {exc}", self.policy_version)

    def _record(self, request_id: str, request: GenerationRequest, decisions: list[Decision], kind: str,
                elapsed_ms: float, generated: GeneratedImage | None = None,
                delivered: Image | None = None) -> EnforcementOutcome | None:
        if self.store is None:
            return None
        return self.store.record(request_id, request, self.components.policy, decisions, kind, elapsed_ms,
                                 generated, delivered)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
