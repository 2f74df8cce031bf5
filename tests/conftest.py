from __future__ import annotations

from pathlib import Path

import pytest

from limner.components import Components
from limner.pipeline import Pipeline
from limner.policy.load import load_policy
from limner.policy.schema import Policy
from limner.storage.audit import AuditStore
from limner.storage.db import open_database
from tests.fakes import EXTRA_CLASSIFIERS, FixedGenerator, RecordingStamper

SCENARIOS = Path(__file__).parent / "scenarios"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def basic_policy() -> Policy:
    return load_policy(SCENARIOS / "basic" / "basic.yaml")


@pytest.fixture
def store() -> AuditStore:
    return AuditStore(open_database("sqlite://"))


def make_pipeline(policy: Policy, store: AuditStore | None = None, **overrides: object) -> Pipeline:
    components = Components(
        policy,
        extra_classifiers=EXTRA_CLASSIFIERS,
        generator_override=overrides.pop("generator", FixedGenerator()),  # type: ignore[arg-type]
        stamper_override=overrides.pop("stamper", RecordingStamper()),  # type: ignore[arg-type]
    )
    return Pipeline(components, store)
