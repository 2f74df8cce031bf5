"""Storage: the audit log, the account store and enforcement (strikes, bans, reports).

Every request and every gate decision is written here in one transaction together with the enforcement actions it
triggered, so the log can never show a ban without the request that caused it. The account store is also where an
account's age tier lives: requests never carry it.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import secrets
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from limner.policy.schema import Action, Policy
from limner.storage.models import (
    AccountRow,
    ApiKeyRow,
    DecisionRow,
    EnforcementRow,
    ImageRow,
    ReportRow,
    RequestRow,
)
from limner.types import Account, Decision, GeneratedImage, GenerationRequest, Image, Tier, Verdict


def new_id() -> str:
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class EnforcementOutcome:
    actions: tuple[tuple[Action, str], ...]  # (action, reason code)
    banned: bool
    report_ids: tuple[str, ...]


@dataclass(frozen=True)
class AuditRecord:
    request_id: str
    account_id: str
    tenant: str
    tier: str
    profile: str
    policy_version: str
    kind: str
    prompt: str | None
    verdict: str
    category: str | None
    blocked_by: str | None
    elapsed_ms: float
    created_at: datetime
    decisions: tuple[dict[str, Any], ...]
    output_sha256: str | None
    review_status: str


def actions_for(policy: Policy, decisions: Sequence[Decision]) -> list[tuple[Action, str]]:
    """The enforcement actions the policy attaches to the reason codes of these decisions."""
    found: list[tuple[Action, str]] = []
    for decision in decisions:
        for reason in decision.reasons:
            for pattern, actions in policy.enforcement.actions.items():
                if fnmatch.fnmatchcase(reason.code, pattern):
                    found.extend((action, reason.code) for action in actions if (action, reason.code) not in found)
    return found


class AuditStore:
    """Accounts, API keys, the audit log and enforcement, on one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- accounts -------------------------------------------------------------------------------------------
    def upsert_account(self, account_id: str, tenant: str = "default", tier: Tier = Tier.ADULT) -> Account:
        with Session(self.engine) as session, session.begin():
            row = session.get(AccountRow, account_id)
            if row is None:
                row = AccountRow(id=account_id, tenant=tenant, tier=tier.value, banned=False, created_at=_now())
                session.add(row)
            else:
                row.tenant, row.tier = tenant, tier.value
            return self._account(row)

    def account(self, account_id: str) -> Account | None:
        with Session(self.engine) as session:
            row = session.get(AccountRow, account_id)
            return None if row is None else self._account(row)

    @staticmethod
    def _account(row: AccountRow) -> Account:
        return Account(id=row.id, tenant=row.tenant, tier=Tier(row.tier), banned=row.banned)

    def list_accounts(self, limit: int = 100) -> list[Account]:
        """The most recently created accounts (the operator's accounts page)."""
        with Session(self.engine) as session:
            query = select(AccountRow).order_by(AccountRow.created_at.desc()).limit(limit)
            return [self._account(row) for row in session.scalars(query)]

    def unban(self, account_id: str) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(AccountRow, account_id)
            if row is None:
                raise KeyError(f"no account {account_id!r}")
            row.banned, row.banned_reason, row.banned_at = False, None, None

    def create_api_key(self, account_id: str, label: str = "") -> str:
        """A new secret key for the account; only its hash is stored, so it is shown once."""
        key = "lm-" + secrets.token_urlsafe(24)
        with Session(self.engine) as session, session.begin():
            if session.get(AccountRow, account_id) is None:
                raise KeyError(f"no account {account_id!r}; create it first")
            digest = hashlib.sha256(key.encode()).hexdigest()
            session.add(ApiKeyRow(key_sha256=digest, account_id=account_id, label=label, created_at=_now()))
        return key

    def account_for_key(self, key: str) -> Account | None:
        digest = hashlib.sha256(key.encode()).hexdigest()
        with Session(self.engine) as session:
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_sha256 == digest, ApiKeyRow.revoked.is_(False)))
            if row is None:
                return None
            account = session.get(AccountRow, row.account_id)
            return None if account is None else self._account(account)

    # --- audit log ------------------------------------------------------------------------------------------
    def record(
        self,
        request_id: str,
        request: GenerationRequest,
        policy: Policy,
        decisions: Sequence[Decision],
        kind: str,
        elapsed_ms: float,
        generated: GeneratedImage | None = None,
        delivered: Image | None = None,
    ) -> EnforcementOutcome:
        """Write the request, its decisions and the enforcement they trigger, in one transaction."""
        blocking = next((d for d in decisions if d.verdict == Verdict.BLOCK), None)
        account = request.account
        now = _now()
        actions = actions_for(policy, decisions)
        with Session(self.engine) as session, session.begin():
            session.add(
                RequestRow(
                    id=request_id,
                    account_id=account.id,
                    tenant=account.tenant,
                    tier=account.tier.value,
                    profile=policy.name,
                    policy_version=policy.version,
                    kind=kind,
                    prompt=request.prompt if policy.audit.store_prompts else None,
                    prompt_sha256=hashlib.sha256(request.prompt.encode()).hexdigest(),
                    turns=[{"role": t.role.value, "content": t.content} for t in request.turns]
                    if policy.audit.store_prompts
                    else None,
                    upload_sha256s=[u.sha256 for u in request.uploads],
                    output_sha256=delivered.sha256 if delivered else None,
                    generator=generated.generator if generated else None,
                    model_version=generated.model_version if generated else None,
                    verdict=(Verdict.BLOCK if blocking else Verdict.ALLOW).value,
                    category=blocking.category if blocking else None,
                    blocked_by=blocking.gate if blocking else None,
                    elapsed_ms=elapsed_ms,
                    review_status="pending" if any(a == Action.REVIEW for a, _ in actions) else "none",
                    created_at=now,
                )
            )
            session.flush()
            for decision in decisions:
                session.add(
                    DecisionRow(
                        request_id=request_id,
                        gate=decision.gate,
                        verdict=decision.verdict.value,
                        category=decision.category,
                        reasons=[
                            {"code": r.code, "category": r.category, "message": r.message, "score": r.score}
                            for r in decision.reasons
                        ],
                        scores=decision.scores,
                        elapsed_ms=decision.elapsed_ms,
                    )
                )
            if policy.audit.store_images:
                for upload in request.uploads:
                    session.add(ImageRow(request_id=request_id, kind="upload", sha256=upload.sha256,
                                         mime=upload.mime, data=upload.data))
                if delivered is not None:
                    session.add(ImageRow(request_id=request_id, kind="output", sha256=delivered.sha256,
                                         mime=delivered.mime, data=delivered.data))
            outcome = self._enforce(session, request_id, request, policy, decisions, actions, now)
        return outcome

    def _enforce(
        self,
        session: Session,
        request_id: str,
        request: GenerationRequest,
        policy: Policy,
        decisions: Sequence[Decision],
        actions: list[tuple[Action, str]],
        now: datetime,
    ) -> EnforcementOutcome:
        account = request.account
        row = session.get(AccountRow, account.id)
        if row is None:  # batch moderation and tests may use accounts the store has never seen
            row = AccountRow(id=account.id, tenant=account.tenant, tier=account.tier.value, banned=False,
                             created_at=now)
            session.add(row)
        report_ids: list[str] = []
        ban_reason: str | None = None
        for action, code in actions:
            session.add(EnforcementRow(request_id=request_id, account_id=account.id, action=action.value,
                                       reason_code=code, created_at=now))
            if action == Action.BAN:
                ban_reason = ban_reason or code
            elif action == Action.REPORT:
                report_ids.append(self._write_report(session, request_id, request, decisions, code, now))
        if any(a == Action.STRIKE for a, _ in actions):
            session.flush()
            since = now - timedelta(hours=policy.enforcement.strikes.window_hours)
            strikes = session.scalar(
                select(func.count(func.distinct(EnforcementRow.request_id))).where(
                    EnforcementRow.account_id == account.id,
                    EnforcementRow.action == Action.STRIKE.value,
                    EnforcementRow.created_at >= since,
                )
            )
            if (strikes or 0) >= policy.enforcement.strikes.ban_after:
                ban_reason = ban_reason or f"{strikes} strikes within {policy.enforcement.strikes.window_hours} h"
                session.add(EnforcementRow(request_id=request_id, account_id=account.id, action=Action.BAN.value,
                                           reason_code="enforcement.strikes", created_at=now))
        if ban_reason and not row.banned:
            row.banned, row.banned_reason, row.banned_at = True, ban_reason, now
        return EnforcementOutcome(actions=tuple(actions), banned=row.banned, report_ids=tuple(report_ids))

    @staticmethod
    def _write_report(
        session: Session,
        request_id: str,
        request: GenerationRequest,
        decisions: Sequence[Decision],
        code: str,
        now: datetime,
    ) -> str:
        reason = next(r for d in decisions for r in d.reasons if r.code == code)
        report_id = new_id()
        session.add(
            ReportRow(
                id=report_id,
                request_id=request_id,
                account_id=request.account.id,
                tenant=request.account.tenant,
                category=reason.category,
                reason_code=code,
                evidence={"detail": reason.message, "score": reason.score},
                upload_sha256s=[u.sha256 for u in request.uploads],
                status="pending",
                created_at=now,
            )
        )
        return report_id

    def tail(self, limit: int = 20, verdict: Verdict | None = None) -> list[AuditRecord]:
        with Session(self.engine) as session:
            query = select(RequestRow).order_by(RequestRow.created_at.desc()).limit(limit)
            if verdict is not None:
                query = query.where(RequestRow.verdict == verdict.value)
            return [self._record(session, row) for row in session.scalars(query)]

    def get(self, request_id: str) -> AuditRecord | None:
        with Session(self.engine) as session:
            row = session.get(RequestRow, request_id)
            return None if row is None else self._record(session, row)

    def review_queue(self, limit: int = 50) -> list[AuditRecord]:
        with Session(self.engine) as session:
            query = (
                select(RequestRow)
                .where(RequestRow.review_status == "pending")
                .order_by(RequestRow.created_at)
                .limit(limit)
            )
            return [self._record(session, row) for row in session.scalars(query)]

    def set_review(self, request_id: str, status: str) -> None:
        if status not in {"pending", "upheld", "overturned"}:
            raise ValueError(f"unknown review status {status!r}: use pending, upheld or overturned")
        with Session(self.engine) as session, session.begin():
            row = session.get(RequestRow, request_id)
            if row is None:
                raise KeyError(f"no request {request_id!r}")
            row.review_status = status

    @staticmethod
    def _record(session: Session, row: RequestRow) -> AuditRecord:
        query = select(DecisionRow).where(DecisionRow.request_id == row.id).order_by(DecisionRow.id)
        decisions = session.scalars(query)
        return AuditRecord(
            request_id=row.id,
            account_id=row.account_id,
            tenant=row.tenant,
            tier=row.tier,
            profile=row.profile,
            policy_version=row.policy_version,
            kind=row.kind,
            prompt=row.prompt,
            verdict=row.verdict,
            category=row.category,
            blocked_by=row.blocked_by,
            elapsed_ms=row.elapsed_ms,
            created_at=_aware(row.created_at),
            decisions=tuple(
                {"gate": d.gate, "verdict": d.verdict, "category": d.category, "reasons": d.reasons,
                 "scores": d.scores, "elapsed_ms": d.elapsed_ms}
                for d in decisions
            ),
            output_sha256=row.output_sha256,
            review_status=row.review_status,
        )

    def enforcement_actions(self, account_id: str) -> list[tuple[str, str]]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(EnforcementRow).where(EnforcementRow.account_id == account_id).order_by(EnforcementRow.id)
            )
            return [(r.action, r.reason_code) for r in rows]

    # --- reports --------------------------------------------------------------------------------------------
    def reports(self) -> Iterator[dict[str, Any]]:
        with Session(self.engine) as session:
            for row in session.scalars(select(ReportRow).order_by(ReportRow.created_at)):
                yield self._report(session, row)

    @staticmethod
    def _report(session: Session, row: ReportRow) -> dict[str, Any]:
        """A report in the shape of a CyberTipline submission: reporter, incident, reported person, files."""
        request = session.get(RequestRow, row.request_id)
        account = session.get(AccountRow, row.account_id)
        return {
            "report_id": row.id,
            "status": row.status,
            "reporter": {"service": "limner", "tenant": row.tenant},
            "incident": {
                "type": "child_sexual_abuse_material" if row.category == "sexual_minors" else row.category,
                "detected_at": _aware(row.created_at).isoformat(),
                "detection": row.reason_code,
                "evidence": row.evidence,
                "request_id": row.request_id,
            },
            "reported_person": {
                "account_id": row.account_id,
                "tenant": row.tenant,
                "account_created_at": _aware(account.created_at).isoformat() if account else None,
                "banned": bool(account and account.banned),
            },
            "files": [{"sha256": h, "file_viewed_by_company": False} for h in row.upload_sha256s],
            "prompt_sha256": request.prompt_sha256 if request else None,
        }

    def export_reports(self) -> str:
        return json.dumps(list(self.reports()), indent=2)
