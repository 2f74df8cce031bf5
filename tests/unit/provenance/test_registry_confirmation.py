"""Registry keypoint matches need the registered output's own watermark: an unmarked look-alike is not claimed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine

from limner.provenance.base import ProvenanceManifest, WatermarkPayload
from limner.provenance.registry import STRONG_ORB_INLIERS, OutputRegistry, decode_rgb
from limner.provenance.robustness import TRANSFORMS, render_natural, render_scene
from limner.provenance.service import ProvenanceService
from tests.unit.provenance.conftest import encode


@pytest.fixture(scope="module")
def stamped(tmp_path_factory: pytest.TempPathFactory, cert_dir: Path) -> tuple[ProvenanceService, bytes, bytes]:
    """A service with a few registered outputs, the unmarked generator output of one, and its delivered file."""
    db = tmp_path_factory.mktemp("confirm") / "db.sqlite"
    svc = ProvenanceService(create_engine(f"sqlite:///{db}"), deployment_id=77, dev_cert_dir=cert_dir)
    assert svc.registry is not None
    svc.registry.create_schema()
    rng = np.random.default_rng(31)
    originals = [encode(render_scene(rng)) for _ in range(4)]
    delivered = [
        svc.stamp_bytes(png, generator="tiny_ar", generator_version="w", audit_id=f"req-{i}").image
        for i, png in enumerate(originals)
    ]
    return svc, originals[2], delivered[2]


@pytest.mark.parametrize("attack", ["crop10", "rotate5"])
def test_unmarked_look_alike_is_not_claimed(stamped: tuple[ProvenanceService, bytes, bytes], attack: str) -> None:
    svc, original, _ = stamped
    assert svc.registry is not None
    # The same picture without the mark (what another generation of the same scene is): PDQ misses the edited copy,
    # and the keypoint fit and the thumbnail check accept it, so it matched before the informed watermark test.
    look_alike = decode_rgb(TRANSFORMS[attack](original))
    assert [m.key for m in svc.registry.search_rgb(look_alike)] == ["orb"]
    assert svc.registry.search_rgb(look_alike, confirm=svc.confirm_registry_match) == ()
    report = svc.verify(TRANSFORMS[attack](original))
    assert report.registry == () and not report.watermark.found and not report.from_this_deployment


@pytest.mark.parametrize("attack", ["crop10", "rotate5", "crop10_resized"])
def test_edited_registered_output_is_still_claimed(
    stamped: tuple[ProvenanceService, bytes, bytes], attack: str
) -> None:
    svc, _, delivered = stamped
    assert svc.registry is not None
    edited = decode_rgb(TRANSFORMS[attack](delivered))
    matches = svc.registry.search_rgb(edited, confirm=svc.confirm_registry_match)
    assert [(m.audit_id, m.key) for m in matches] == [("req-2", "orb")]


@pytest.fixture
def textured_and_flat(tmp_path: Path) -> tuple[OutputRegistry, bytes, bytes]:
    """A registry holding a textured output (req-0) and a flat one (req-1)."""
    registry = OutputRegistry(create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    registry.create_schema()
    rng = np.random.default_rng(5)
    textured, flat = encode(render_natural(rng)), encode(render_scene(rng))
    for i, data in enumerate((textured, flat)):
        registry.register(data, ProvenanceManifest("tiny_ar", "w", f"req-{i}", WatermarkPayload(1, i)))
    return registry, textured, flat


def refuse(*_: object) -> bool:
    """A confirmation that always says no: what an unmarked image gets from the informed test."""
    return False


def test_many_keypoints_need_no_watermark(textured_and_flat: tuple[OutputRegistry, bytes, bytes]) -> None:
    # A crop of a textured output fits far more keypoints than a flat scene has corners: such a match is accepted
    # without the watermark (which texture weakens most), while a flat scene's crop still needs it.
    registry, textured, flat = textured_and_flat
    (match,) = registry.search_rgb(decode_rgb(TRANSFORMS["crop10"](textured)), confirm=refuse)
    assert match.audit_id == "req-0" and match.key == "orb" and (match.distance or 0) >= STRONG_ORB_INLIERS
    flat_crop = decode_rgb(TRANSFORMS["crop10"](flat))
    assert [m.audit_id for m in registry.search_rgb(flat_crop)] == ["req-1"]
    assert registry.search_rgb(flat_crop, confirm=refuse) == ()


def test_unmarked_near_identical_copy_found_by_pdq_is_not_claimed(
    stamped: tuple[ProvenanceService, bytes, bytes],
) -> None:
    svc, original, _ = stamped
    assert svc.registry is not None
    # The generator's unmarked output is the delivered picture minus the mark: PDQ and the thumbnail cannot tell them
    # apart (what an unregistered redraw of a flat scene looks like), only the watermark's informed test can.
    copy = decode_rgb(original)
    assert [(m.audit_id, m.key) for m in svc.registry.search_rgb(copy)] == [("req-2", "pdq")]
    assert svc.registry.search_rgb(copy, confirm=svc.confirm_registry_match) == ()
    report = svc.verify(original)
    assert report.registry == () and not report.from_this_deployment


@pytest.mark.parametrize("attack", ["jpeg50", "resize0.5", "screenshot", "strip_c2pa"])
def test_reencoded_delivered_output_is_still_claimed_by_pdq(
    stamped: tuple[ProvenanceService, bytes, bytes], attack: str
) -> None:
    svc, _, delivered = stamped
    assert svc.registry is not None
    copy = decode_rgb(TRANSFORMS[attack](delivered))
    matches = svc.registry.search_rgb(copy, confirm=svc.confirm_registry_match)
    assert [(m.audit_id, m.key) for m in matches] == [("req-2", "pdq")]


def test_pdq_match_to_textured_output_needs_no_watermark(
    textured_and_flat: tuple[OutputRegistry, bytes, bytes],
) -> None:
    # Textured outputs are not redrawn by chance, so their PDQ matches are not asked (as for strong keypoint fits).
    registry, textured, flat = textured_and_flat
    jpeg = decode_rgb(TRANSFORMS["jpeg50"](textured))
    assert [(m.audit_id, m.key) for m in registry.search_rgb(jpeg, confirm=refuse)] == [("req-0", "pdq")]
    flat_copy = decode_rgb(TRANSFORMS["jpeg50"](flat))
    assert [(m.audit_id, m.key) for m in registry.search_rgb(flat_copy)] == [("req-1", "pdq")]
    assert registry.search_rgb(flat_copy, confirm=refuse) == ()
