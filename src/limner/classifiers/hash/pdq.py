"""Hash stage, hasher: PDQ perceptual hashes of images for matching against hash banks.

Decides nothing. It turns image bytes into a 256-bit PDQ hash (64 hex characters) and defines the Hamming distance
that every index and bank must agree with (`distance` is the brute-force oracle the `HashIndex` tests compare
against). Images with too little detail to hash reliably (PDQ quality below `min_quality`) hash to "", so a flat
image never matches a bank entry by accident.
"""

from __future__ import annotations

import io
from typing import ClassVar

import numpy as np
from PIL import Image as PILImage

HASH_BITS = 256
HASH_HEX_LEN = HASH_BITS // 4

# The 8 dihedral transforms in the order `pdqhash.compute_dihedral` returns them.
DIHEDRAL_NAMES: tuple[str, ...] = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flip_x",
    "flip_y",
    "flip_plus1",
    "flip_minus1",
)


def decode_rgb(data: bytes) -> np.ndarray:
    """Decode PNG/JPEG/WebP bytes to an (H, W, 3) uint8 RGB array, flattening alpha onto white."""
    with PILImage.open(io.BytesIO(data)) as im:
        im.load()
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            rgba = im.convert("RGBA")
            canvas = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
            canvas.alpha_composite(rgba)
            return np.asarray(canvas.convert("RGB"), dtype=np.uint8)
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def bits_to_hex(bits: np.ndarray) -> str:
    return np.packbits(np.asarray(bits, dtype=np.uint8).reshape(-1)).tobytes().hex()


def hex_to_words(hashes: list[str] | tuple[str, ...]) -> np.ndarray:
    """Hex hashes -> (N, 4) uint64 words, big-endian within each word so bit order matches the hex string."""
    if not hashes:
        return np.zeros((0, 4), dtype=np.uint64)
    raw = b"".join(bytes.fromhex(h) for h in hashes)
    if len(raw) != len(hashes) * 32:
        raise ValueError("every PDQ hash must be 64 hex characters")
    return np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(len(hashes), 4)


class PdqHasher:
    """PDQ (Facebook ThreatExchange) perceptual hash; robust to re-encoding and resizing, not to crops >= 10%."""

    name: ClassVar[str] = "pdq"

    def __init__(self, min_quality: int = 50) -> None:
        # Why 50: ThreatExchange's guidance is that PDQ hashes with quality < 50 carry too little signal to match on.
        self.min_quality = min_quality

    def hash(self, image: bytes) -> str:
        """Hex PDQ hash of an encoded image, or "" when the image is too flat (low quality) to hash."""
        hashes = self._compute(decode_rgb(image), dihedral=False)
        return hashes[0] if hashes else ""

    def hash_dihedral(self, image: bytes) -> tuple[str, ...]:
        """Hashes of the 8 rotations and mirrors (see `DIHEDRAL_NAMES`), or () for a low-quality image."""
        return self._compute(decode_rgb(image), dihedral=True)

    def hash_array(self, rgb: np.ndarray) -> str:
        hashes = self._compute(rgb, dihedral=False)
        return hashes[0] if hashes else ""

    def quality(self, image: bytes) -> int:
        import pdqhash

        _, q = pdqhash.compute(np.ascontiguousarray(decode_rgb(image)))
        return int(q)

    @staticmethod
    def distance(a: str, b: str) -> int:
        """Hamming distance between two hex hashes: the oracle every index must agree with."""
        if len(a) != HASH_HEX_LEN or len(b) != HASH_HEX_LEN:
            raise ValueError("PDQ hashes are 64 hex characters")
        return (int(a, 16) ^ int(b, 16)).bit_count()

    def _compute(self, rgb: np.ndarray, *, dihedral: bool) -> tuple[str, ...]:
        import pdqhash  # lazily: a compiled extension, only needed when hashing

        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        if dihedral:
            vecs, q = pdqhash.compute_dihedral(rgb)
            if q < self.min_quality:
                return ()
            return tuple(bits_to_hex(v) for v in vecs)
        vec, q = pdqhash.compute(rgb)
        if q < self.min_quality:
            return ()
        return (bits_to_hex(vec),)
