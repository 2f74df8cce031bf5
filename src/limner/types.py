"""Value objects shared by every stage of the pipeline.

Everything that crosses a stage boundary is one of these frozen dataclasses: requests, samples handed to
classifiers, scores, reasons, decisions and generated images. Pydantic is used only at the edges (policy files and
HTTP); inside the pipeline these plain types are the contract.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


class Verdict(StrEnum):
    ALLOW = "allow"
    BLOCK = "block"


class Tier(StrEnum):
    """Age tier of an account. It is read from the account store, never from a request body."""

    ADULT = "adult"
    UNDER18 = "under18"
    UNDER13 = "under13"


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class Modality(StrEnum):
    """What a classifier reads; the registry refuses a classifier placed in a gate that cannot feed it."""

    TEXT = "text"  # the prompt (last user turn)
    CONVERSATION = "conversation"  # every turn
    IMAGE = "image"  # one image (an upload or the output)
    TEXT_IMAGE = "text_image"  # prompt, conversation and output image together (the reasoning monitor)


class Capability(StrEnum):
    TEXT_TO_IMAGE = "text_to_image"
    EDIT = "edit"  # one input image plus an instruction
    MULTI_REFERENCE = "multi_reference"  # two or more input images


@dataclass(frozen=True)
class Turn:
    role: Role
    content: str


@dataclass(frozen=True)
class Image:
    """Encoded image bytes (PNG, JPEG or WebP) with the hash that audit rows and reports refer to."""

    data: bytes
    mime: str = "image/png"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Account:
    id: str
    tenant: str = "default"
    tier: Tier = Tier.ADULT
    banned: bool = False


@dataclass(frozen=True)
class GenerationRequest:
    """One request for an image: the whole conversation, the uploads and who asks.

    `account` is resolved by the service from the caller's credentials; the request body never sets it.
    """

    turns: tuple[Turn, ...]
    account: Account
    uploads: tuple[Image, ...] = ()
    profile: str | None = None
    seed: int | None = None
    size: int = 256
    output_mime: str = "image/png"  # the delivered format; provenance encodes once, after watermarking

    @property
    def prompt(self) -> str:
        """The last user turn: the instruction the image tool receives."""
        for turn in reversed(self.turns):
            if turn.role == Role.USER:
                return turn.content
        return ""


@dataclass(frozen=True)
class Sample:
    """What a classifier reads. Which fields are filled depends on the gate (see `Modality`)."""

    text: str = ""
    turns: tuple[Turn, ...] = ()
    image: Image | None = None
    tier: Tier = Tier.ADULT
    is_upload: bool = False  # True for uploads (edits), False for generated output
    uploads: tuple[Image, ...] = ()  # the request's input images, for the output gate to compare with the output


@dataclass(frozen=True)
class Score:
    label: str  # taxonomy label, e.g. "sexual/minors"
    value: float  # in [0, 1]; higher = more likely the label applies
    rationale: str = ""  # human-readable evidence, e.g. the matched artist or the reasoning monitor's explanation

    def __post_init__(self) -> None:
        if not 0.0 <= self.value <= 1.0:
            raise ValueError(f"score for {self.label!r} must be in [0, 1], got {self.value}")


@dataclass(frozen=True)
class Reason:
    code: str  # "<gate>.<plugin>.<label>", e.g. "prompt.text_head.violence/graphic"
    category: str  # policy category, e.g. "violence"
    message: str  # readable by the person refused, e.g. "depicts graphic violence in a photoreal style"
    score: float | None = None


@dataclass(frozen=True)
class Decision:
    """A gate's answer. BLOCK exactly when there is at least one reason."""

    verdict: Verdict
    gate: str
    reasons: tuple[Reason, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)  # "<plugin>.<label>" -> value, for audit and tuning
    elapsed_ms: float = 0.0
    policy_version: str = ""

    def __post_init__(self) -> None:
        if (self.verdict == Verdict.BLOCK) != bool(self.reasons):
            raise ValueError("a Decision blocks exactly when it has reasons")

    @property
    def category(self) -> str | None:
        return self.reasons[0].category if self.reasons else None

    @property
    def allowed(self) -> bool:
        return self.verdict == Verdict.ALLOW


@dataclass(frozen=True)
class GeneratedImage:
    image: Image
    generator: str  # plugin name, e.g. "tiny_ar"
    model_version: str  # weights hash or release, recorded in audit rows and C2PA manifests
    seed: int
    latency_ms: float = 0.0
