"""Provenance stage: stamp every output (watermark -> register -> C2PA sign) and verify any image.

Runs after the output gate allowed an image; decides nothing about content. `stamp` returns the bytes limner hands
out. `verify` measures the three signals on an image and combines them: the C2PA state (which says what the file
claims), the watermark payload (which survives re-encodes, crops and screenshots), and registry matches (which survive
the loss of both, by perceptual hash).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.engine import Engine

from limner.provenance.base import (
    C2paState,
    ProvenanceManifest,
    ProvenanceReport,
    WatermarkPayload,
    sniff_mime,
)
from limner.provenance.c2pa import C2paMarker
from limner.provenance.registry import OutputRegistry, RegistryMatch, decode_rgb
from limner.provenance.watermark import SpreadSpectrumWatermark
from limner.types import GeneratedImage, GenerationRequest, Image

# Informed-watermark z a keypoint (ORB) registry match needs: a t-statistic that is ~N(0, 1) on unmarked images
# (see SpreadSpectrumWatermark.informed_z and docs/provenance.md for the measured distributions).
MIN_INFORMED_Z = 5.0


@dataclass(frozen=True)
class StampResult:
    image: bytes  # final bytes: watermarked, registered, signed
    payload: WatermarkPayload
    record_id: int | None  # registry row; None when no registry is configured
    timings_ms: dict[str, float] = field(default_factory=dict)  # "watermark" | "register" | "sign"


@dataclass(frozen=True)
class VerifyReport:
    c2pa: ProvenanceReport
    watermark: ProvenanceReport
    registry: tuple[RegistryMatch, ...]  # payload lookups first, then PDQ near-duplicates
    registry_checked: bool

    @property
    def from_this_deployment(self) -> bool:
        """Any signal ties the image to this deployment: a registry match, or a valid manifest + watermark."""
        return bool(self.registry) or (
            self.watermark.found and self.c2pa.c2pa_state in (C2paState.TRUSTED, C2paState.VALID)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for `limner verify --json` and `POST /v1/provenance/verify`."""
        wm = self.watermark
        return {
            "c2pa": {
                "state": (self.c2pa.c2pa_state or C2paState.ABSENT).value,
                "signer": self.c2pa.signer,
                "claim_generator": self.c2pa.generator,
                "failures": list(self.c2pa.failures),
                "assertion": self.c2pa.detail,
            },
            "watermark": {
                "found": wm.found,
                "payload": wm.payload.hex if wm.payload else None,
                "deployment_id": wm.payload.deployment_id if wm.payload else None,
                "generation_id": wm.payload.generation_id if wm.payload else None,
                "confidence": wm.confidence,
                "detail": wm.detail,
            },
            "registry": {
                "checked": self.registry_checked,
                "matches": [
                    {
                        "record_id": m.record_id,
                        "audit_id": m.audit_id,
                        "created_at": m.created_at.isoformat(),
                        "payload": m.payload.hex,
                        "generator": m.generator,
                        "key": m.key,
                        "distance": m.distance,
                    }
                    for m in self.registry
                ],
            },
            "from_this_deployment": self.from_this_deployment,
        }


class ProvenanceService:
    """The provenance step of the pipeline (the `Stamper` the components build from `policy.provenance.params`).

    Args:
        engine: database of the output registry; None runs without a registry (no near-duplicate answers).
        deployment_id: 16-bit id of this deployment, carried in every watermark.
        watermark_key: secret seeding the watermark layout; verifiers need the same key.
        cert_chain, private_key: PEM files of the C2PA signing certificate; unset = dev certs in `dev_cert_dir`.
        trust_anchor: PEM of the CA(s) a verifier trusts (unset with dev certs = the dev CA).
        claim_generator_version: limner's version, written into each manifest.
        c2pa, watermark, registry: prebuilt components (tests, benchmarks); override the settings above.
    """

    def __init__(
        self,
        engine: Engine | None = None,
        deployment_id: int = 0,
        watermark_key: str = "limner-dev-watermark-key",
        cert_chain: str | Path | None = None,
        private_key: str | Path | None = None,
        trust_anchor: str | Path | None = None,
        dev_cert_dir: str | Path | None = None,
        claim_generator_version: str = "0.1.0",
        watermark_psnr_db: float = 39.0,
        min_informed_z: float = MIN_INFORMED_Z,
        *,
        c2pa: C2paMarker | None = None,
        watermark: SpreadSpectrumWatermark | None = None,
        registry: OutputRegistry | None = None,
    ) -> None:
        def path(value: str | Path | None) -> Path | None:
            return Path(value).expanduser() if value is not None else None

        self.c2pa = c2pa or C2paMarker(path(cert_chain), path(private_key), path(trust_anchor), path(dev_cert_dir))
        self.watermark = watermark or SpreadSpectrumWatermark(key=watermark_key, target_psnr_db=watermark_psnr_db)
        self.registry = registry or (OutputRegistry(engine) if engine is not None else None)
        WatermarkPayload(deployment_id, 0)  # validates the id range at start-up, not on the first request
        self._deployment_id = deployment_id
        self._claim_generator_version = claim_generator_version
        self._min_informed_z = min_informed_z

    def stamp(self, generated: GeneratedImage, request: GenerationRequest, request_id: str) -> Image:
        """Pipeline entry point: the delivered image, marked, registered under `request_id` and signed."""
        result = self.stamp_bytes(
            generated.image.data,
            generator=generated.generator,
            generator_version=generated.model_version,
            audit_id=request_id,
            ingredient_sha256=tuple(upload.sha256 for upload in request.uploads),
            output_mime=request.output_mime,
        )
        return Image(result.image, request.output_mime)

    def stamp_bytes(
        self,
        image: bytes,
        *,
        generator: str,
        generator_version: str,
        audit_id: str,
        ingredient_sha256: tuple[str, ...] = (),
        created_at: datetime | None = None,
        output_mime: str | None = None,
    ) -> StampResult:
        """Mark, register and sign one output.

        Pass the generator's lossless image and the format the client asked for as `output_mime`: the watermark is
        added in pixels and the image is encoded once, so a JPEG/WebP output is not compressed twice.
        """
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        generation_id = self.registry.allocate_generation_id() if self.registry else secrets.randbelow(2**32)
        manifest = ProvenanceManifest(
            generator=generator,
            generator_version=generator_version,
            audit_id=audit_id,
            payload=WatermarkPayload(self._deployment_id, generation_id),
            mime=output_mime or sniff_mime(image),
            ingredient_sha256=ingredient_sha256,
            claim_generator_version=self._claim_generator_version,
            created_at=created_at or datetime.now(UTC),
        )
        marked = self.watermark.mark(image, manifest)
        t1 = time.perf_counter()
        timings["watermark"] = (t1 - t0) * 1000
        record_id = self.registry.register(marked, manifest) if self.registry else None
        t2 = time.perf_counter()
        timings["register"] = (t2 - t1) * 1000
        signed = self.c2pa.mark(marked, manifest)
        timings["sign"] = (time.perf_counter() - t2) * 1000
        return StampResult(image=signed, payload=manifest.payload, record_id=record_id, timings_ms=timings)

    def confirm_registry_match(
        self, rgb: NDArray[np.uint8], to_frame: NDArray[np.float64], frame: tuple[int, int], payload: WatermarkPayload
    ) -> bool:
        """Is a keypoint match to a registered output also carrying that output's own watermark payload? The
        registry's fit gives the alignment, so this non-blind test reads the mark where the blind decoder cannot
        (crops, rotations), and an unmarked look-alike, which the picture checks cannot tell apart, fails it."""
        return self.watermark.informed_z(rgb, payload, to_frame, frame) >= self._min_informed_z

    def verify(self, image: bytes) -> VerifyReport:
        c2pa_report = self.c2pa.detect(image)
        wm_report = self.watermark.detect(image)
        matches: list[RegistryMatch] = []
        if self.registry is not None:
            if wm_report.payload is not None:
                matches.extend(self.registry.lookup_payload(wm_report.payload))
            try:
                rgb = decode_rgb(image)
            except OSError:
                rgb = None
            if rgb is not None:
                seen = {m.record_id for m in matches}
                hits = self.registry.search_rgb(rgb, confirm=self.confirm_registry_match)
                matches.extend(m for m in hits if m.record_id not in seen)
        return VerifyReport(
            c2pa=c2pa_report, watermark=wm_report, registry=tuple(matches), registry_checked=self.registry is not None
        )


def build_provenance_service(
    engine: Engine | None,
    deployment_id: int = 0,
    watermark_key: str = "limner-dev-watermark-key",
    cert_chain: Path | None = None,
    private_key: Path | None = None,
    trust_anchor: Path | None = None,
    dev_cert_dir: Path | None = None,
    claim_generator_version: str = "0.1.0",
) -> ProvenanceService:
    """Wire the three signals from config values (the server and CLI call this once at startup)."""
    return ProvenanceService(
        engine,
        deployment_id=deployment_id,
        watermark_key=watermark_key,
        cert_chain=cert_chain,
        private_key=private_key,
        trust_anchor=trust_anchor,
        dev_cert_dir=dev_cert_dir,
        claim_generator_version=claim_generator_version,
    )


def verify_image(service: ProvenanceService, image: bytes) -> dict[str, Any]:
    """What `POST /v1/provenance/verify` returns for the multipart field `image`."""
    return service.verify(image).to_dict()
