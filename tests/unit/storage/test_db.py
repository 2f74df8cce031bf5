from __future__ import annotations

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import limner.provenance.registry
import limner.storage.models  # noqa: F401
from limner.storage.audit import AuditStore
from limner.storage.db import Base, open_database
from limner.types import Tier

POSTGRES_URL = os.environ.get("LIMNER_TEST_POSTGRES_URL")
URLS = ["sqlite://", "sqlite-file", *([POSTGRES_URL] if POSTGRES_URL else [])]


@pytest.fixture(params=URLS)
def url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    return f"sqlite:///{tmp_path / 'audit.db'}" if request.param == "sqlite-file" else request.param


def test_migrations_create_exactly_the_models(url: str) -> None:
    engine = open_database(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], f"models and migrations differ; add an Alembic revision: {diff}"


def test_accounts_keys_and_tiers(url: str) -> None:
    store = AuditStore(open_database(url))
    store.upsert_account("kid", tier=Tier.UNDER18, tenant="school")
    key = store.create_api_key("kid", label="laptop")
    account = store.account_for_key(key)
    assert account is not None and (account.id, account.tier, account.tenant) == ("kid", Tier.UNDER18, "school")
    assert store.account_for_key(key + "x") is None
    with pytest.raises(KeyError, match="create it first"):
        store.create_api_key("nobody")


def test_open_twice_is_idempotent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'a.db'}"
    open_database(url)
    AuditStore(open_database(url)).upsert_account("a")
    assert AuditStore(open_database(url)).account("a") is not None
