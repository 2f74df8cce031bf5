"""Output registry: payload lookup, near-duplicate search (PDQ, ORB for crops), no match for unrelated images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, inspect

from limner.provenance.base import ProvenanceManifest, WatermarkPayload
from limner.provenance.registry import (
    MAX_MISMATCH,
    OutputRegistry,
    _mismatch,
    _own_thumbnail,
    _pack_orb,
    _thumbnail,
    _unpack_orb,
    _unpack_thumb,
    compute_keys,
)
from limner.provenance.robustness import TRANSFORMS, render_natural, render_scene
from tests.unit.provenance.conftest import encode


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> tuple[OutputRegistry, list[bytes], str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('registry') / 'registry.db'}"
    registry = OutputRegistry(create_engine(url))
    registry.create_schema()
    rng = np.random.default_rng(21)
    images = []
    for i in range(12):
        im = render_scene(rng) if i % 3 else render_natural(rng)
        data = encode(im)
        manifest = ProvenanceManifest("tiny_ar", "v1", f"req-{i}", WatermarkPayload(1, 1000 + i))
        registry.register(data, manifest)
        images.append(data)
    return registry, images, url


def test_table_columns(populated: tuple[OutputRegistry, list[bytes], str]) -> None:
    columns = {c["name"] for c in inspect(create_engine(populated[2])).get_columns("output_registry")}
    assert {"audit_id", "created_at", "deployment_id", "generation_id", "pdq", "orb_features"} <= columns


def test_payload_lookup(populated: tuple[OutputRegistry, list[bytes], str]) -> None:
    registry = populated[0]
    (match,) = registry.lookup_payload(WatermarkPayload(1, 1005))
    assert match.audit_id == "req-5" and match.key == "payload"
    assert registry.lookup_payload(WatermarkPayload(2, 1005)) == ()


@pytest.mark.parametrize("attack", ["strip_c2pa", "jpeg50", "resize0.5", "screenshot", "crop10"])
def test_near_duplicate_search_finds_the_request(
    populated: tuple[OutputRegistry, list[bytes], str], attack: str
) -> None:
    registry, images, _ = populated
    for i in (1, 4, 6):
        matches = registry.search(TRANSFORMS[attack](images[i]))
        assert matches and matches[0].audit_id == f"req-{i}", (attack, i, matches)
    if attack == "crop10":
        assert {m.key for m in registry.search(TRANSFORMS[attack](images[4]))} == {"orb"}


def test_unrelated_images_do_not_match(populated: tuple[OutputRegistry, list[bytes], str]) -> None:
    registry = populated[0]
    rng = np.random.default_rng(99)
    for _ in range(4):
        assert registry.search(encode(render_scene(rng))) == ()
        assert registry.search(encode(render_natural(rng))) == ()


def test_second_process_sees_new_rows(populated: tuple[OutputRegistry, list[bytes], str], tmp_path: Path) -> None:
    _, images, url = populated
    other = OutputRegistry(create_engine(url))
    assert other.search(images[2])[0].audit_id == "req-2"
    ids = {other.allocate_generation_id() for _ in range(5)}
    assert len(ids) == 5 and all(0 <= i < 2**32 for i in ids)


def test_rows_carry_a_thumbnail_and_old_rows_still_load() -> None:
    rgb = np.asarray(render_scene(np.random.default_rng(4)))
    keys = compute_keys(rgb)
    points, desc = _unpack_orb(keys.orb)
    thumb = _unpack_thumb(keys.orb)
    assert thumb is not None and thumb[:2] == (rgb.shape[1], rgb.shape[0]) and len(points) == len(desc) > 0
    # A row written before thumbnails existed (keypoints only) unpacks the same and has no thumbnail.
    assert _unpack_thumb(_pack_orb(points, desc)) is None
    assert np.array_equal(_unpack_orb(_pack_orb(points, desc))[1], desc)


def test_thumbnail_check_weighs_content_not_background() -> None:
    # Two flat-background pictures that differ only in their small objects agree on ~95% of their area; the check
    # compares the registered picture's content, so they differ, while a re-encode of the same picture agrees.
    base = np.full((256, 256, 3), (240, 200, 30), np.uint8)
    a, b = base.copy(), base.copy()
    a[40:90, 40:90] = (200, 30, 30)
    b[40:90, 40:90] = (30, 30, 200)
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    _, _, stored = _own_thumbnail(a)
    same, valid = _thumbnail(a, identity, (256, 256))
    other, _ = _thumbnail(b, identity, (256, 256))
    assert _mismatch(same, stored, valid > 0) == 0.0
    assert _mismatch(other, stored, valid > 0) > MAX_MISMATCH
