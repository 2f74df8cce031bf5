"""Provenance stage: the Marker protocol and the value objects every provenance signal shares.

Runs after the output gate has allowed an image. A marker does not decide anything about content; it writes one
provenance signal into the image (`mark`) and measures whether that signal is present (`detect`). The service
(`service.py`) combines the signals (C2PA manifest, invisible watermark, output registry) into one verify report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Protocol, runtime_checkable

# Sizes of the two watermark payload fields; together they form the 48-bit payload.
DEPLOYMENT_ID_BITS = 16
GENERATION_ID_BITS = 32


class C2paState(StrEnum):
    """State of an image's C2PA manifest as c2pa's own Reader reports it."""

    TRUSTED = "trusted"  # valid and the signer chains to a configured trust anchor
    VALID = "valid"  # signature and hashes check out; signer not in the trust list
    INVALID = "invalid"  # manifest present but tampered, expired or malformed
    ABSENT = "absent"  # no manifest (stripped by a re-encode, or never signed)


@dataclass(frozen=True)
class WatermarkPayload:
    """The 48 bits the invisible watermark carries: which deployment made the image, and which generation."""

    deployment_id: int
    generation_id: int

    def __post_init__(self) -> None:
        if not 0 <= self.deployment_id < 2**DEPLOYMENT_ID_BITS:
            raise ValueError(f"deployment_id must fit in {DEPLOYMENT_ID_BITS} bits, got {self.deployment_id}")
        if not 0 <= self.generation_id < 2**GENERATION_ID_BITS:
            raise ValueError(f"generation_id must fit in {GENERATION_ID_BITS} bits, got {self.generation_id}")

    def to_int(self) -> int:
        return (self.deployment_id << GENERATION_ID_BITS) | self.generation_id

    @classmethod
    def from_int(cls, value: int) -> WatermarkPayload:
        return cls(deployment_id=value >> GENERATION_ID_BITS, generation_id=value & (2**GENERATION_ID_BITS - 1))

    @property
    def hex(self) -> str:
        return f"{self.to_int():012x}"


@dataclass(frozen=True)
class ProvenanceManifest:
    """What limner asserts about one output; every marker writes the part it can carry."""

    generator: str  # generator plugin name, e.g. "tiny_ar"
    generator_version: str  # weights hash or release
    audit_id: str  # the request's audit id
    payload: WatermarkPayload  # deployment id + generation id
    mime: str = "image/png"  # image/png | image/jpeg | image/webp
    ingredient_sha256: tuple[str, ...] = ()  # uploads of an edit request, by sha256
    claim_generator: str = "limner"  # the software that signs (name of this system)
    claim_generator_version: str = "0.0.0"
    created_at: datetime | None = None


@dataclass(frozen=True)
class ProvenanceReport:
    """One marker's measurement on one image. Fields a marker does not measure keep their defaults."""

    marker: str  # the marker's `name`
    found: bool  # the signal is present (C2PA: a manifest exists, valid or not)
    confidence: float = 0.0  # in [0, 1]; watermark: 1 - estimated false-positive probability
    payload: WatermarkPayload | None = None
    c2pa_state: C2paState | None = None
    signer: str = ""  # C2PA signer common name / issuer
    generator: str = ""  # C2PA claim generator as read back
    failures: tuple[str, ...] = ()  # C2PA validation failure codes
    bit_errors: int | None = None  # watermark: bits corrected by the error-correcting code
    detail: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")


@runtime_checkable
class Marker(Protocol):
    name: ClassVar[str]  # stable key used in config and audit rows

    def mark(self, image: bytes, manifest: ProvenanceManifest) -> bytes: ...

    def detect(self, image: bytes) -> ProvenanceReport: ...


def sniff_mime(image: bytes) -> str:
    """Image format from magic bytes; the bytes, not a caller's claim, decide how an image is re-encoded."""
    if image.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if image.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        return "image/webp"
    raise ValueError("unsupported image format (expected PNG, JPEG or WebP)")
