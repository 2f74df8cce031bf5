"""Policy: the schema of a policy profile (one YAML file per profile).

Classifiers measure, gates decide, and this schema holds every number the gates decide with: which labels exist and
what category each belongs to, the threshold per label and age tier, the context rules that lift a block (violence in a
clearly fictional frame, a hate symbol in a history lesson), the registry files, the gates' classifier lists, the
generator, provenance and enforcement. Every model is strict (`extra="forbid"`), so a misspelt key fails at load.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from limner.types import Tier


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Category(StrEnum):
    """The policy categories of the reference profile (see the policy notes); `context` labels never block alone."""

    SEXUAL = "sexual"
    SEXUAL_MINORS = "sexual_minors"
    VIOLENCE = "violence"
    SELF_HARM = "self_harm"
    HATE = "hate"
    HARASSMENT = "harassment"
    EXTREMISM = "extremism"
    ILLICIT = "illicit"
    DECEPTION = "deception"
    LIVING_ARTIST_STYLE = "living_artist_style"
    PUBLIC_FIGURE = "public_figure"
    MINOR_PHOTOREAL_EDIT = "minor_photoreal_edit"
    HASH_MATCH = "hash_match"
    CONTEXT = "context"


class Action(StrEnum):
    """What enforcement does when a reason code matches (carried out by `storage`, logged in the audit)."""

    REPORT = "report"  # write a report record (CyberTipline-style fields), exportable as JSON
    BAN = "ban"  # ban the account at once
    STRIKE = "strike"  # add a strike; `strikes.ban_after` strikes within the window ban the account
    REVIEW = "review"  # queue the request for a human reviewer


class LabelSpec(StrictModel):
    category: Category
    message: str = Field(description="What a refused person reads, e.g. 'depicts graphic violence'")
    threshold: float | None = Field(
        default=0.5, ge=0.0, le=1.0, description="Block at or above this score for adults; null: never blocks"
    )


class TierSpec(StrictModel):
    refused: bool = Field(default=False, description="Refuse every request from accounts of this tier")
    message: str = ""
    thresholds: dict[str, float | None] = Field(
        default_factory=dict, description="Per-label overrides of `labels.<label>.threshold` for this tier"
    )

    @field_validator("thresholds")
    @classmethod
    def _in_unit_interval(cls, value: dict[str, float | None]) -> dict[str, float | None]:
        for label, threshold in value.items():
            if threshold is not None and not 0.0 <= threshold <= 1.0:
                raise ValueError(f"threshold for {label!r} must be in [0, 1] or null, got {threshold}")
        return value


class ContextRule(StrictModel):
    """Lifts a block on `label` when a context label scores high (and none of `unless` does)."""

    label: str
    allow_when: list[str] = Field(min_length=1, description="Context labels, any of which lifts the block")
    unless: list[str] = Field(default_factory=list, description="Context labels that keep the block in place")
    from_classifiers: list[str] = Field(
        default_factory=list,
        description="Lift only scores from these classifiers (plugin types, e.g. text_head); empty = from any. A text "
                    "context must not lift what an image classifier saw in an upload.")
    tiers: list[Tier] = Field(default_factory=lambda: [Tier.ADULT])
    context_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    description: str = ""


class PluginSpec(StrictModel):
    type: str = Field(description="Plugin name in limner's registry, e.g. 'text_head'")
    params: dict[str, Any] = Field(default_factory=dict, description="Constructor keyword arguments")


class GateSpec(StrictModel):
    enabled: bool = True
    classifiers: list[PluginSpec] = Field(default_factory=list)
    timeout_ms: int = Field(default=10_000, gt=0, description="A gate slower than this blocks with gate_error")
    fail_fast: bool = Field(default=True, description="Stop at the first classifier whose scores block")
    parallel: bool = Field(
        default=False,
        description="Run the classifiers at the same time (wall time ~ the slowest, not the sum); all of them run, "
        "so fail_fast saves nothing",
    )


class GatesSpec(StrictModel):
    chat: GateSpec = GateSpec()
    prompt: GateSpec = GateSpec()
    output: GateSpec = GateSpec()


class HashBankSpec(StrictModel):
    path: str
    category: str = Field(description="'child_safety' banks emit csam/hash_match; others emit hash_match")
    max_distance: int = Field(default=31, ge=0, le=256, description="PDQ Hamming distance in bits")


class RegistriesSpec(StrictModel):
    """Files the registry-backed classifiers read; paths are relative to the policy file's folder."""

    living_artists: str | None = None
    artist_opt_out: str | None = None
    public_figures: str | None = None
    public_figure_opt_out: str | None = None
    fictional_characters: str | None = None
    historical_settings: str | None = Field(
        default=None, description="Historical settings the diversifier grounds (None: the shipped file)")
    hash_banks: dict[str, HashBankSpec] = Field(default_factory=dict)


class StrikeRules(StrictModel):
    ban_after: int = Field(default=5, ge=1, description="Strikes within the window that ban the account")
    window_hours: float = Field(default=24.0, gt=0)


class EnforcementSpec(StrictModel):
    actions: dict[str, list[Action]] = Field(
        default_factory=dict,
        description="Reason-code glob (e.g. 'prompt.hash_bank.csam/hash_match', '*.sexual/minors') -> actions",
    )
    strikes: StrikeRules = StrikeRules()


class AuditSpec(StrictModel):
    store_images: bool = Field(default=False, description="Keep upload and output bytes, not only their hashes")
    store_prompts: bool = Field(default=True, description="Keep the conversation text for explanation and review")


class ProvenanceSpec(StrictModel):
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)


class Policy(StrictModel):
    name: str = Field(pattern=r"^[a-z0-9_\-]+$")
    description: str = ""
    extends: str | None = None
    labels: dict[str, LabelSpec]
    tiers: dict[Tier, TierSpec] = Field(default_factory=dict)
    context_rules: list[ContextRule] = Field(default_factory=list)
    registries: RegistriesSpec = RegistriesSpec()
    gates: GatesSpec = GatesSpec()
    generator: PluginSpec = PluginSpec(type="tiny_ar")
    diversifier: PluginSpec | None = None
    provenance: ProvenanceSpec = ProvenanceSpec()
    enforcement: EnforcementSpec = EnforcementSpec()
    audit: AuditSpec = AuditSpec()
    version: str = Field(default="", description="Set at load: sha256 of the resolved policy; never written by hand")
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)

    @model_validator(mode="after")
    def _labels_are_known(self) -> Policy:
        known = set(self.labels)
        for tier, spec in self.tiers.items():
            for label in spec.thresholds:
                if label not in known:
                    raise ValueError(f"tiers.{tier}.thresholds names unknown label {label!r}")
        for i, rule in enumerate(self.context_rules):
            for label in [rule.label, *rule.allow_when, *rule.unless]:
                if label not in known:
                    raise ValueError(f"context_rules.{i} names unknown label {label!r}")
        return self

    def resolve_path(self, relative: str) -> Path:
        """A registry or bank path, relative to the folder of the policy file that was loaded."""
        return (self._base_dir / relative).resolve()

    def threshold(self, label: str, tier: Tier) -> float | None:
        """The score at or above which `label` blocks for `tier`; None when it never blocks."""
        spec = self.tiers.get(tier)
        if spec is not None and label in spec.thresholds:
            return spec.thresholds[label]
        return self.labels[label].threshold
