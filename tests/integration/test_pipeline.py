"""The pipeline end to end with scripted plugins: every gate path, fail-closed, tiers, audit and enforcement."""

from __future__ import annotations

from pathlib import Path

import pytest

from limner.pipeline import EvalConfig
from limner.policy.load import load_policy
from limner.policy.schema import Policy
from limner.storage.audit import AuditStore
from limner.types import Account, GenerationRequest, Image, Role, Tier, Turn, Verdict
from tests.conftest import SCENARIOS, make_pipeline
from tests.fakes import FixedGenerator, RecordingStamper, png_bytes


def ask(prompt: str, tier: Tier = Tier.ADULT, uploads: tuple[Image, ...] = (), account: str = "alice",
        history: tuple[Turn, ...] = ()) -> GenerationRequest:
    return GenerationRequest(turns=(*history, Turn(Role.USER, prompt)), account=Account(account, tier=tier),
                             uploads=uploads)


def with_gate(policy: Policy, gate: str, classifiers: list[dict[str, object]]) -> Policy:
    gates = policy.gates.model_copy(update={gate: policy.gates.__getattribute__(gate).model_copy(
        update={"classifiers": [type(policy.generator)(**c) for c in classifiers], "timeout_ms": 300})})
    return policy.model_copy(update={"gates": gates})


def test_allowed_request_passes_every_gate_and_is_stamped(basic_policy: Policy, store: AuditStore) -> None:
    stamper = RecordingStamper()
    result = make_pipeline(basic_policy, store, stamper=stamper).generate(ask("a red circle"))
    assert result.allowed
    assert [d.gate for d in result.decisions] == ["chat", "prompt", "output"]
    assert all(d.policy_version == basic_policy.version for d in result.decisions)
    assert result.image is not None and stamper.stamped == [result.request_id]
    assert result.decisions[1].scores["scripted_text.violence/graphic"] == 0.05


def test_prompt_block_carries_category_reason_and_message(basic_policy: Policy) -> None:
    result = make_pipeline(basic_policy).generate(ask("a photo of gore"))
    decision = result.blocked_by
    assert decision is not None and decision.gate == "prompt"
    assert decision.category == "violence"
    assert decision.reasons[0].code == "prompt.scripted_text.violence/graphic"
    assert decision.reasons[0].message == "depicts graphic violence in a photoreal style"
    assert result.image is None and result.generated is None


def test_context_rule_lifts_a_block_only_for_its_tier_and_not_when_photoreal(basic_policy: Policy) -> None:
    pipeline = make_pipeline(basic_policy)
    assert pipeline.generate(ask("a movie poster with gore")).allowed
    assert not pipeline.generate(ask("a movie poster with gore", tier=Tier.UNDER18)).allowed
    assert not pipeline.generate(ask("a movie still photo with gore")).allowed


def test_same_prompt_allowed_for_adult_blocked_for_under18(basic_policy: Policy) -> None:
    pipeline = make_pipeline(basic_policy)
    assert pipeline.generate(ask("a pin-up in lingerie")).allowed
    blocked = pipeline.generate(ask("a pin-up in lingerie", tier=Tier.UNDER18)).blocked_by
    assert blocked is not None and blocked.reasons[0].code == "prompt.scripted_text.sexual/suggestive"


def test_under13_is_refused_before_any_gate(basic_policy: Policy) -> None:
    result = make_pipeline(basic_policy).generate(ask("a red circle", tier=Tier.UNDER13))
    assert [d.gate for d in result.decisions] == ["account"]
    assert result.blocked_by is not None
    assert result.blocked_by.reasons[0].message == "not available to children under 13"


def test_chat_gate_reads_the_whole_conversation(basic_policy: Policy) -> None:
    history = (Turn(Role.USER, "draw a woman at the beach"), Turn(Role.ASSISTANT, "here it is"))
    pipeline = make_pipeline(basic_policy)
    blocked = pipeline.generate(ask("now make her younger", history=history)).blocked_by
    assert blocked is not None and blocked.gate == "chat" and blocked.category == "sexual_minors"
    # system_only skips the chat gate: the prompt gate alone does not see the history
    assert pipeline.moderate(ask("now make her younger", history=history), EvalConfig.SYSTEM_ONLY).allowed


def test_lexicon_terms_from_the_policy_block(basic_policy: Policy) -> None:
    blocked = make_pipeline(basic_policy).moderate(ask("a banner saying HATEWORD")).blocked_by
    assert blocked is not None and blocked.reasons[0].code == "prompt.lexicon.hate"


def test_output_gate_blocks_a_bad_output_from_a_benign_prompt(basic_policy: Policy) -> None:
    stamper = RecordingStamper()
    pipeline = make_pipeline(basic_policy, generator=FixedGenerator(png_bytes((250, 200, 180))), stamper=stamper)
    result = pipeline.generate(ask("a beach at sunset"))
    assert result.blocked_by is not None and result.blocked_by.gate == "output"
    assert result.image is None and stamper.stamped == []


@pytest.mark.parametrize("gate", ["chat", "prompt", "output"])
@pytest.mark.parametrize("failure", ["raises", "unavailable", "times out"])
def test_every_gate_fails_closed(basic_policy: Policy, gate: str, failure: str) -> None:
    suffix = {"chat": "_conversation", "prompt": "", "output": "_image"}[gate]
    plugin = {"raises": {"type": f"raising{suffix}", "params": {"error": "boom"}},
              "unavailable": {"type": f"raising{suffix}", "params": {"error": "unavailable"}},
              "times out": {"type": f"slow{suffix}", "params": {"seconds": 2.0}}}[failure]
    policy = with_gate(basic_policy, gate, [plugin])
    stamper = RecordingStamper()
    result = make_pipeline(policy, stamper=stamper).generate(ask("a red circle"))
    decision = result.blocked_by
    assert decision is not None and decision.gate == gate
    assert decision.reasons[0].code == f"{gate}.gate_error"
    assert decision.category == "gate_error"
    assert result.image is None and stamper.stamped == []
    if failure == "times out":
        assert "timed out after 300 ms" in decision.reasons[0].message
        assert decision.elapsed_ms < 1500


def test_warming_ahead_keeps_a_cold_model_from_refusing_the_first_request(basic_policy: Policy) -> None:
    policy = with_gate(basic_policy, "prompt", [{"type": "cold", "params": {"load_seconds": 1.0}}])
    cold = make_pipeline(policy).moderate(ask("a red circle"))
    assert cold.blocked_by is not None and cold.blocked_by.category == "gate_error"  # the load ran into the deadline
    warmed = make_pipeline(policy)
    assert warmed.components.warm() == {}
    assert warmed.moderate(ask("a red circle")).blocked_by is None
    broken = make_pipeline(with_gate(basic_policy, "prompt", [{"type": "cold", "params": {"fail": True}}]))
    assert broken.components.warm() == {"cold": "ClassifierUnavailable: weights missing"}
    assert broken.moderate(ask("a red circle")).blocked_by is not None  # still fails closed


def test_a_gate_with_no_classifiers_blocks(basic_policy: Policy) -> None:
    result = make_pipeline(with_gate(basic_policy, "prompt", [])).moderate(ask("a red circle"))
    assert result.blocked_by is not None and "lists no classifiers" in result.blocked_by.reasons[0].message


def test_generator_and_provenance_failures_block(basic_policy: Policy) -> None:
    broken_generator = make_pipeline(basic_policy, generator=FixedGenerator(error="weights missing"))
    result = broken_generator.generate(ask("a red circle"))
    assert result.blocked_by is not None and result.blocked_by.reasons[0].code == "generator.gate_error"
    broken_stamper = make_pipeline(basic_policy, stamper=RecordingStamper(error="no certificate"))
    result = broken_stamper.generate(ask("a red circle"))
    assert result.image is None
    assert result.blocked_by is not None and result.blocked_by.reasons[0].code == "provenance.gate_error"


def test_empty_prompt_is_refused(basic_policy: Policy) -> None:
    result = make_pipeline(basic_policy).moderate(ask("   "))
    assert result.blocked_by is not None and result.blocked_by.reasons[0].code == "request.empty_prompt"


def test_audit_rows_for_allowed_and_blocked_requests(basic_policy: Policy, store: AuditStore) -> None:
    pipeline = make_pipeline(basic_policy, store)
    allowed = pipeline.generate(ask("a red circle"))
    blocked = pipeline.generate(ask("a photo of gore"))
    rows = {r.request_id: r for r in store.tail(10)}
    assert rows[allowed.request_id].verdict == "allow"
    assert rows[allowed.request_id].output_sha256 == allowed.image.sha256  # type: ignore[union-attr]
    assert [d["gate"] for d in rows[allowed.request_id].decisions] == ["chat", "prompt", "output"]
    row = rows[blocked.request_id]
    assert (row.verdict, row.blocked_by, row.category) == ("block", "prompt", "violence")
    assert row.decisions[-1]["reasons"][0]["code"] == "prompt.scripted_text.violence/graphic"
    assert row.prompt == "a photo of gore" and row.policy_version == basic_policy.version
    assert [r.request_id for r in store.tail(10, Verdict.BLOCK)] == [blocked.request_id]


def test_images_are_stored_only_as_hashes_unless_configured(store: AuditStore) -> None:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from limner.storage.models import ImageRow

    upload = Image(png_bytes((9, 9, 9)))
    make_pipeline(load_policy(SCENARIOS / "basic" / "basic.yaml"), store).generate(ask("a cat", uploads=(upload,)))
    with Session(store.engine) as session:
        assert session.scalar(select(func.count()).select_from(ImageRow)) == 0
    make_pipeline(load_policy(SCENARIOS / "basic" / "strict.yaml"), store).generate(ask("a cat", uploads=(upload,)))
    with Session(store.engine) as session:
        kinds = sorted(session.scalars(select(ImageRow.kind)))
    assert kinds == ["output", "upload"]


def test_hash_match_rejects_reports_and_bans(basic_policy: Policy, store: AuditStore) -> None:
    store.upsert_account("mallory")
    pipeline = make_pipeline(basic_policy, store)
    flagged = Image(png_bytes((1, 2, 3)))
    result = pipeline.generate(ask("make it brighter", uploads=(flagged,), account="mallory"))
    assert result.blocked_by is not None and result.blocked_by.category == "sexual_minors"
    assert result.enforcement is not None and result.enforcement.banned
    assert len(result.enforcement.report_ids) == 1
    account = store.account("mallory")
    assert account is not None and account.banned
    report = next(iter(store.reports()))
    assert report["incident"]["type"] == "child_sexual_abuse_material"
    assert report["files"] == [{"sha256": flagged.sha256, "file_viewed_by_company": False}]
    assert report["reported_person"]["account_id"] == "mallory"
    # the next request from the banned account is refused at the door
    again = pipeline.generate(GenerationRequest(turns=(Turn(Role.USER, "a red circle"),), account=account))
    assert again.blocked_by is not None and again.blocked_by.reasons[0].code == "account.banned"


def test_repeated_blocks_raise_strikes_then_ban(basic_policy: Policy, store: AuditStore) -> None:
    pipeline = make_pipeline(basic_policy, store)
    outcomes = [pipeline.generate(ask("a photo of gore", account="bob")).enforcement for _ in range(3)]
    assert [o.banned for o in outcomes if o] == [False, False, True]
    actions = store.enforcement_actions("bob")
    assert actions.count(("strike", "prompt.scripted_text.violence/graphic")) == 3
    assert ("ban", "enforcement.strikes") in actions


def test_moderate_runs_no_generator(basic_policy: Policy) -> None:
    generator = FixedGenerator(error="must not be called")
    result = make_pipeline(basic_policy, generator=generator).moderate(ask("a red circle"))
    assert result.allowed and result.image is None and [d.gate for d in result.decisions] == ["chat", "prompt"]


def test_scenario_policy_files_are_real_files() -> None:
    assert Path(SCENARIOS / "basic" / "basic.yaml").is_file()
