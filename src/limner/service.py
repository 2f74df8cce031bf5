"""The assembled service: settings -> database, policy profiles, one pipeline per profile.

The CLI and the HTTP server both start here, so a request takes the same path whichever door it comes in by.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from limner.classifiers.base import Classifier
from limner.components import Components, Stamper
from limner.generators.base import Generator
from limner.pipeline import Pipeline
from limner.policy.load import PolicyError, load_profiles
from limner.policy.schema import Policy
from limner.settings import Settings
from limner.storage.audit import AuditStore
from limner.storage.db import open_database


@dataclass
class Service:
    settings: Settings
    store: AuditStore
    profiles: dict[str, Policy]
    extra_classifiers: dict[str, Callable[..., Classifier]] = field(default_factory=dict)
    generator: Generator | None = None
    stamper: Stamper | None = None
    _pipelines: dict[str, Pipeline] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, settings: Settings, with_database: bool = True, **overrides: Any) -> Service:
        """Load and validate every profile, open (and migrate) the database."""
        if not settings.policy_dir.is_dir():
            raise PolicyError(f"{settings.policy_dir}: policy folder not found (set LIMNER_POLICY_DIR)")
        profiles = load_profiles(settings.policy_dir)
        if settings.default_profile not in profiles:
            raise PolicyError(f"{settings.policy_path()}: the default profile {settings.default_profile!r} "
                              f"does not exist (profiles: {', '.join(sorted(profiles))})")
        url = settings.db_url if with_database else "sqlite://"
        store = AuditStore(open_database(url))
        return cls(settings=settings, store=store, profiles=profiles, **overrides)

    def profile(self, name: str | None) -> Policy:
        name = name or self.settings.default_profile
        if name not in self.profiles:
            raise PolicyError(f"unknown policy profile {name!r} (profiles: {', '.join(sorted(self.profiles))})")
        return self.profiles[name]

    def pipeline(self, profile: str | None = None) -> Pipeline:
        policy = self.profile(profile)
        with self._lock:
            if policy.name not in self._pipelines:
                components = Components(
                    policy,
                    engine=self.store.engine,
                    extra_classifiers=self.extra_classifiers,
                    generator_override=self.generator,
                    stamper_override=self.stamper,
                )
                self._pipelines[policy.name] = Pipeline(components, self.store)
            return self._pipelines[policy.name]

    def close(self) -> None:
        for pipeline in self._pipelines.values():
            pipeline.close()
