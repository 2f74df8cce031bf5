"""Provenance service: stamp through the pipeline interface, then verify with all three signals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine

from limner.provenance.base import C2paState
from limner.provenance.robustness import TRANSFORMS, render_natural, render_scene
from limner.provenance.service import ProvenanceService, verify_image
from limner.types import Account, GeneratedImage, GenerationRequest, Image, Role, Turn
from tests.unit.provenance.conftest import encode


@pytest.fixture
def service(cert_dir: Path, tmp_path: Path) -> ProvenanceService:
    svc = ProvenanceService(
        create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"), deployment_id=77, dev_cert_dir=cert_dir
    )
    assert svc.registry is not None
    svc.registry.create_schema()
    return svc


def _request(uploads: tuple[Image, ...] = (), output_mime: str = "image/png") -> GenerationRequest:
    return GenerationRequest(turns=(Turn(Role.USER, "a red square"),), account=Account("acct-1"), uploads=uploads,
                             output_mime=output_mime)


def test_stamp_then_verify(service: ProvenanceService) -> None:
    png = encode(render_scene(np.random.default_rng(4)))
    upload = Image(encode(render_natural(np.random.default_rng(5))))
    delivered = service.stamp(GeneratedImage(Image(png), "tiny_ar", "w1", seed=1), _request((upload,)), "req-9")
    assert delivered.mime == "image/png" and delivered.data != png

    report = service.verify(delivered.data)
    assert report.c2pa.c2pa_state == C2paState.TRUSTED
    assert upload.sha256 in report.c2pa.detail
    assert report.watermark.found and report.watermark.payload is not None
    assert report.watermark.payload.deployment_id == 77
    assert [m.audit_id for m in report.registry] == ["req-9"]
    assert report.from_this_deployment
    json.dumps(verify_image(service, delivered.data))  # the HTTP route's body is plain JSON

    screenshot = service.verify(TRANSFORMS["screenshot"](delivered.data))
    assert screenshot.c2pa.c2pa_state == C2paState.ABSENT
    assert screenshot.watermark.payload == report.watermark.payload
    assert screenshot.registry[0].audit_id == "req-9"


def test_jpeg_output_and_unrelated_image(service: ProvenanceService) -> None:
    png = encode(render_scene(np.random.default_rng(6)))
    generated = GeneratedImage(Image(png), "tiny_ar", "w1", seed=2)
    delivered = service.stamp(generated, _request(output_mime="image/jpeg"), "req-10")
    assert delivered.data[:2] == b"\xff\xd8"
    assert service.verify(delivered.data).c2pa.c2pa_state == C2paState.TRUSTED

    unrelated = service.verify(encode(render_scene(np.random.default_rng(1234))))
    assert unrelated.c2pa.c2pa_state == C2paState.ABSENT
    assert not unrelated.watermark.found and unrelated.registry == ()
    assert not unrelated.from_this_deployment


def test_without_registry_and_bad_deployment_id(cert_dir: Path) -> None:
    svc = ProvenanceService(None, deployment_id=1, dev_cert_dir=cert_dir)
    result = svc.stamp_bytes(
        encode(render_scene(np.random.default_rng(8))), generator="g", generator_version="1", audit_id="a"
    )
    assert result.record_id is None
    report = svc.verify(result.image)
    assert not report.registry_checked and report.watermark.payload == result.payload
    with pytest.raises(ValueError):
        ProvenanceService(None, deployment_id=2**16)
