"""PdqHasher: hex format, low-quality images, robustness to re-encoding/resizing, dihedral variants, the oracle."""

from __future__ import annotations

import io

import pytest
from PIL import Image as PILImage

from limner.classifiers.hash.pdq import HASH_HEX_LEN, PdqHasher, hex_to_words
from limner.classifiers.image.synthetic import encode, flat_skin, procedural_scene, smooth_texture


@pytest.fixture(scope="module")
def hasher() -> PdqHasher:
    return PdqHasher()


def test_hash_is_64_hex_and_deterministic(hasher: PdqHasher) -> None:
    data = encode(procedural_scene(0))
    h = hasher.hash(data)
    assert len(h) == HASH_HEX_LEN and int(h, 16) >= 0
    assert hasher.hash(data) == h


def test_flat_image_is_unhashable(hasher: PdqHasher) -> None:
    assert hasher.hash(encode(flat_skin())) == ""
    assert hasher.hash_dihedral(encode(flat_skin())) == ()


def test_reencode_and_resize_stay_close_unrelated_far(hasher: PdqHasher) -> None:
    im = smooth_texture(3)
    h = hasher.hash(encode(im))
    jpeg = hasher.hash(encode(im, "JPEG", 60))
    small = hasher.hash(encode(im.resize((128, 128), PILImage.Resampling.BILINEAR)))
    other = hasher.hash(encode(smooth_texture(4)))
    assert hasher.distance(h, jpeg) <= 31
    assert hasher.distance(h, small) <= 31
    assert hasher.distance(h, other) > 64


def test_dihedral_catches_mirror(hasher: PdqHasher) -> None:
    im = procedural_scene(1)
    h = hasher.hash(encode(im))
    mirrored = encode(im.transpose(PILImage.Transpose.FLIP_LEFT_RIGHT))
    assert hasher.distance(h, hasher.hash(mirrored)) > 31  # plain PDQ is not mirror-invariant ...
    assert min(hasher.distance(h, v) for v in hasher.hash_dihedral(mirrored)) <= 31  # ... the 8 variants are


def test_distance_oracle_and_words_agree(hasher: PdqHasher) -> None:
    a, b = "0" * 64, "f" + "0" * 62 + "1"
    assert hasher.distance(a, a) == 0
    assert hasher.distance(a, b) == 5
    w = hex_to_words([b])
    assert int(sum(bin(int(x)).count("1") for x in w[0])) == 5
    with pytest.raises(ValueError):
        hasher.distance(a, "abc")


def test_alpha_png_decodes(hasher: PdqHasher) -> None:
    rgba = procedural_scene(1).convert("RGBA")
    buf = io.BytesIO()
    rgba.save(buf, format="PNG")
    assert hasher.hash(buf.getvalue()) == hasher.hash(encode(procedural_scene(1)))
