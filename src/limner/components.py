"""Registry: plugin names -> classes, and the `Components` a policy profile builds from them.

Every plugin a policy may name is listed here explicitly (no import from the working directory, no string-switch
chains). Building checks names and that each classifier's modality fits its gate, so a bad profile fails at start-up;
weights load lazily, on first use, where a failure blocks the request (fail closed) instead of crashing the server.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from limner.classifiers.base import Classifier
from limner.gates.base import ClassifierGate, Gate
from limner.gates.chat import ChatGate
from limner.gates.output import OutputGate
from limner.gates.prompt import PromptGate
from limner.generators.base import Generator
from limner.policy.schema import GateSpec, PluginSpec, Policy
from limner.types import GeneratedImage, GenerationRequest, Image, Modality


class Stamper(Protocol):
    """Provenance: marks a delivered image (watermark, registry, C2PA) and returns the final bytes."""

    def stamp(self, generated: GeneratedImage, request: GenerationRequest, request_id: str) -> Image: ...


class Diversifier(Protocol):
    """Rewrites an under-specified prompt to spread attributes (see `limner.evals.bias`)."""

    def diversify(self, request: GenerationRequest) -> GenerationRequest: ...


# name -> "module:Class". A rename adds a new name and keeps the old one as an alias.
CLASSIFIERS: dict[str, str] = {
    "lexicon": "limner.classifiers.lexicon:LexiconClassifier",
    "text_head": "limner.classifiers.text.embed_head:EmbedHeadTextClassifier",
    "chat_context": "limner.classifiers.text.conversation:ConversationClassifier",
    "living_artist": "limner.classifiers.text.artists:LivingArtistClassifier",
    "public_figure": "limner.classifiers.text.public_figures:PublicFigureClassifier",
    "fictional_subject": "limner.classifiers.text.fictional:FictionalSubjectClassifier",
    "public_record": "limner.classifiers.text.public_record:PublicRecordClassifier",
    "fair_use": "limner.classifiers.text.fair_use:FairUseClassifier",
    "protective_education": "limner.classifiers.text.protective_education:ProtectiveEducationClassifier",
    "recovery_support": "limner.classifiers.text.recovery_support:RecoverySupportClassifier",
    "game_world": "limner.classifiers.text.game_world:GameWorldClassifier",
    "harmless_target": "limner.classifiers.text.harmless_target:HarmlessTargetClassifier",
    "impossible_ability": "limner.classifiers.text.impossible_ability:ImpossibleAbilityClassifier",
    "benign_intent": "limner.classifiers.text.benign_intent:BenignIntentClassifier",
    "knowledge_question": "limner.classifiers.text.knowledge_question:KnowledgeQuestionClassifier",
    "openai_judge": "limner.classifiers.text.openai_judge:OpenAIChatJudgeClassifier",
    "open_nsfw": "limner.classifiers.image.nudity:OpenNsfwClassifier",
    "nudenet": "limner.classifiers.image.nudity:NudeNetClassifier",
    "photoreal_person": "limner.classifiers.image.person:PhotorealPersonClassifier",
    "ocr_text": "limner.classifiers.image.ocr:OcrTextClassifier",
    "hash_bank": "limner.classifiers.hash.bank:HashBankClassifier",
    "reasoning_monitor": "limner.classifiers.monitor.reasoning:ReasoningMonitor",
    "openai_vision_judge": "limner.classifiers.monitor.vision_judge:OpenAIVisionJudgeClassifier",
    "sexual_minors_image": "limner.classifiers.image.minors:SexualMinorsImageClassifier",
}
GENERATORS: dict[str, str] = {
    "tiny_ar": "limner.generators.tiny_ar.generator:TinyArGenerator",
}
STAMPERS: dict[str, str] = {
    "default": "limner.provenance.service:ProvenanceService",
}
DIVERSIFIERS: dict[str, str] = {
    "attribute": "limner.evals.bias.diversifier:AttributeDiversifier",
}

GATE_MODALITIES: dict[str, frozenset[Modality]] = {
    "chat": frozenset({Modality.CONVERSATION, Modality.TEXT}),
    "prompt": frozenset({Modality.TEXT, Modality.IMAGE}),
    "output": frozenset({Modality.IMAGE, Modality.TEXT_IMAGE}),
}


class ConfigError(ValueError):
    """A policy names a plugin that does not exist or does not fit where it is placed."""


def load_class(path: str) -> type[Any]:
    module_name, _, class_name = path.partition(":")
    return getattr(importlib.import_module(module_name), class_name)  # type: ignore[no-any-return]


def _registry_params(type_name: str, params: dict[str, Any], policy: Policy) -> dict[str, Any]:
    """Fill in the registry files a registry-backed plugin reads, from the policy's `registries:`."""
    regs = policy.registries
    params = dict(params)
    files: dict[str, dict[str, str | None]] = {
        "living_artist": {"registry_path": regs.living_artists, "opt_out_path": regs.artist_opt_out},
        "public_figure": {"registry_path": regs.public_figures, "opt_out_path": regs.public_figure_opt_out},
        "fictional_subject": {"registry_path": regs.fictional_characters, "public_figures_path": regs.public_figures},
    }
    for key, relative in files.get(type_name, {}).items():
        if key not in params and relative is not None:
            params[key] = str(policy.resolve_path(relative))
    if type_name == "hash_bank":
        bank_name = params.pop("bank", None)
        if bank_name not in regs.hash_banks:
            raise ConfigError(f"hash_bank: params.bank must name one of registries.hash_banks "
                              f"({sorted(regs.hash_banks)}), got {bank_name!r}")
        bank = regs.hash_banks[bank_name]
        params.setdefault("bank_path", str(policy.resolve_path(bank.path)))
        params.setdefault("bank_name", bank_name)
        params.setdefault("category", bank.category)
        params.setdefault("max_distance", bank.max_distance)
    return params


@dataclass
class Components:
    """The plugins one policy profile runs, built once per tenant profile at start-up."""

    policy: Policy
    engine: Any = None  # SQLAlchemy engine for the provenance registry; None keeps provenance off the database
    extra_classifiers: dict[str, Callable[..., Classifier]] = field(default_factory=dict)
    generator_override: Generator | None = None
    stamper_override: Stamper | None = None
    _gates: dict[str, Gate] = field(default_factory=dict)
    _generator: Generator | None = None
    _stamper: Stamper | None = None
    _diversifier: Diversifier | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        # Validate every gate now: names, modalities, registry files named by the policy.
        for gate_name in ("chat", "prompt", "output"):
            spec: GateSpec = getattr(self.policy.gates, gate_name)
            if spec.enabled:
                self._gates[gate_name] = self._build_gate(gate_name, spec)
        for name, path in (("generator", GENERATORS), ("diversifier", DIVERSIFIERS)):
            plugin = getattr(self.policy, name)
            if plugin is not None and plugin.type not in path:
                raise ConfigError(f"{name}.type: unknown {name} {plugin.type!r} (known: {', '.join(sorted(path))})")
        if self.policy.registries.historical_settings:
            # A malformed registry is a start-up error (and a `limner policy check` failure), not a request error.
            from limner.evals.bias.historical import load_registry

            try:
                load_registry(self.policy.resolve_path(self.policy.registries.historical_settings))
            except ValueError as exc:
                raise ConfigError(f"registries.historical_settings: {exc}") from None

    def _build_classifier(self, gate: str, index: int, plugin: PluginSpec) -> Classifier:
        where = f"gates.{gate}.classifiers.{index}"
        params = _registry_params(plugin.type, plugin.params, self.policy)
        factory: Callable[..., Classifier]
        if plugin.type in self.extra_classifiers:
            factory = self.extra_classifiers[plugin.type]
        elif plugin.type in CLASSIFIERS:
            factory = load_class(CLASSIFIERS[plugin.type])
        else:
            known = sorted({*CLASSIFIERS, *self.extra_classifiers})
            raise ConfigError(f"{where}.type: unknown classifier {plugin.type!r} (known: {', '.join(known)})")
        modality = getattr(factory, "modality", None)
        if modality not in GATE_MODALITIES[gate]:
            raise ConfigError(f"{where}: classifier {plugin.type!r} reads {modality}, which the {gate} gate "
                              f"cannot give it (it gives {', '.join(sorted(GATE_MODALITIES[gate]))})")
        # A classifier whose labels come from its params (the lexicon) says so with `labels_for(params)`.
        labels_for = getattr(factory, "labels_for", None)
        declared = list(labels_for(plugin.params) if labels_for else getattr(factory, "labels", ()))
        unknown = [label for label in declared if label not in self.policy.labels]
        if unknown:
            raise ConfigError(f"{where}: classifier {plugin.type!r} emits labels the policy does not define: "
                              f"{', '.join(unknown)}")
        try:
            return factory(**params)
        except TypeError as exc:
            raise ConfigError(f"{where}.params: {exc}") from exc

    def _build_gate(self, name: str, spec: GateSpec) -> Gate:
        classifiers = [self._build_classifier(name, i, p) for i, p in enumerate(spec.classifiers)]
        gate_classes: dict[str, type[ClassifierGate]] = {"chat": ChatGate, "prompt": PromptGate, "output": OutputGate}
        return gate_classes[name](classifiers, fail_fast=spec.fail_fast, parallel=spec.parallel)

    def pre_generation_gates(self, with_chat: bool) -> list[tuple[Gate, int]]:
        gates: list[tuple[Gate, int]] = []
        if with_chat and "chat" in self._gates:
            gates.append((self._gates["chat"], self.policy.gates.chat.timeout_ms))
        if "prompt" not in self._gates:
            raise ConfigError("the prompt gate is disabled; limner refuses to run without it")
        gates.append((self._gates["prompt"], self.policy.gates.prompt.timeout_ms))
        return gates

    def output_gate(self) -> tuple[Gate, int]:
        if "output" not in self._gates:
            raise ConfigError("the output gate is disabled; limner refuses to deliver unchecked images")
        return self._gates["output"], self.policy.gates.output.timeout_ms

    def generator(self) -> Generator:
        if self.generator_override is not None:
            return self.generator_override
        with self._lock:
            if self._generator is None:
                spec = self.policy.generator
                self._generator = load_class(GENERATORS[spec.type])(**spec.params)
            return self._generator

    def provenance(self) -> Stamper | None:
        if self.stamper_override is not None:
            return self.stamper_override
        if not self.policy.provenance.enabled:
            return None
        with self._lock:
            if self._stamper is None:
                params = dict(self.policy.provenance.params)
                if self.engine is not None:
                    params.setdefault("engine", self.engine)
                self._stamper = load_class(STAMPERS["default"])(**params)
            return self._stamper

    def diversify(self, request: GenerationRequest) -> GenerationRequest:
        spec = self.policy.diversifier
        if spec is None:
            return request
        with self._lock:
            if self._diversifier is None:
                params = dict(spec.params)
                # The registry the policy names, unless the diversifier's own params name one.
                regs = self.policy.registries
                if spec.type == "attribute" and regs.historical_settings and "historical_settings" not in params:
                    params["historical_settings"] = str(self.policy.resolve_path(regs.historical_settings))
                self._diversifier = load_class(DIVERSIFIERS[spec.type])(**params)
        return self._diversifier.diversify(request)

    def all_classifiers(self) -> list[Classifier]:
        return [c for gate in self._gates.values() for c in getattr(gate, "classifiers", [])]

    def warm(self, include_generator: bool = False) -> dict[str, str]:
        """Load every model that can load ahead (`warm()`), so no request pays the load inside its gate deadline
        (a cold MiniLM on a busy CPU takes longer than the gate timeout, and the gate would fail closed).
        Returns {plugin name: error} for those that could not load; their requests are refused later."""
        plugins: list[object] = list(self.all_classifiers())
        if include_generator:
            plugins.append(self.generator())
        errors: dict[str, str] = {}
        for plugin in plugins:
            warm_fn = getattr(plugin, "warm", None)
            if not callable(warm_fn):
                continue
            try:
                warm_fn()
            except Exception as exc:  # the gate fails closed on this model later; the caller decides what to say
                errors[str(getattr(plugin, "name", type(plugin).__name__))] = f"{type(exc).__name__}: {exc}"
        return errors
