"""Provenance stage: the output registry (every image limner returned, keyed by perceptual hash and watermark payload).

Decides whether an image is a near-duplicate of one this deployment produced, and which request made it, even when
the C2PA manifest and the watermark are both gone. Keys per output: the watermark payload (exact lookup), the PDQ hash
(robust to re-encoding and resizing, but a shift of 2 px of 256 already costs ~25 bits, so it misses crops), ORB
keypoint descriptors (a second key for crops and rotations, fitted with a RANSAC similarity transform) and a 48 px
colour thumbnail that confirms every PDQ or ORB candidate on the whole picture: generated outputs share backgrounds,
palettes and identical shapes, so hashes and keypoints alone matched different outputs. Even then, an output the
deployment never made can be the same scene drawn again (the embedded generator's world is small), so `search_rgb`
takes a `confirm` callback for PDQ and keypoint matches to flat outputs: the provenance service passes the watermark's
informed test for the candidate row's payload at the match's alignment, which an unmarked look-alike fails. PDQ is a
brute-force Hamming scan of an in-memory copy, fine to ~10^6 rows; ORB matching is brute force too and only tried
when PDQ finds nothing (~0.1 s per query per 1,000 rows; an LSH index is the next step beyond ~10^4 rows).
"""

from __future__ import annotations

import hashlib
import io
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import cv2
import numpy as np
import pdqhash
from numpy.typing import NDArray
from PIL import Image
from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, String, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from limner.provenance.base import GENERATION_ID_BITS, ProvenanceManifest, WatermarkPayload
from limner.storage.db import Base

HASH_BYTES = 32  # PDQ: 256 bits
ORB_BYTES = 32  # one ORB descriptor
MIN_SCALE, MAX_SCALE = 0.4, 2.5  # similarity-transform scale an ORB match may imply
MAX_ROTATION_DEG = 20.0
MAX_CONFIRM = 50  # PDQ candidates confirmed on the thumbnail per query, closest first
ORB_NEIGHBOURS = 8  # nearest registered descriptors each query keypoint votes for
ORB_MAX_HAMMING = 40  # of 256 bits: a descriptor farther than this is not the same corner
ORB_MAX_ROWS = 30  # outputs with the most votes that get a geometric fit
# A keypoint match to a *textured* output (no colour covers TEXTURED_MAX_DOMINANT of its thumbnail) with this many
# inliers needs no `confirm`: look-alikes come from the generator's flat world (its outputs' dominant colour covers
# 47-99% of the thumbnail, 1,000 outputs; photo-like textures 2-21%), and a textured picture is not redrawn by chance,
# while texture is where the watermark is weakest (crops of photo-like outputs fitted 42-80 inliers; informed z < 5
# for ~20% of them).
STRONG_ORB_INLIERS = 40
TEXTURED_MAX_DOMINANT = 0.3
THUMB_PX = 48  # colour thumbnail stored with the ORB keys, to confirm a keypoint fit on the whole picture
MIN_QUERY_INSIDE = 0.7  # of the query's area that an ORB fit must place inside the registered image
MIN_OUTPUT_COVERED = 0.5  # of the registered image's area the query must cover (a 10% crop leaves 81%)
MAX_MISMATCH = 0.2  # of the covered thumbnail pixels (and of its content) whose colour may disagree
MIN_CONTENT_PX = 6  # thumbnail pixels away from the background colour needed to judge content separately
MISMATCH_LEVEL = 40.0  # per-channel difference (0-255) that counts a thumbnail pixel as disagreeing
Array = NDArray[np.float64]
# (query pixels, 2x3 map from them into the registered frame, that frame's (w, h), the row's payload) -> same output?
Confirm = Callable[[NDArray[np.uint8], Array, tuple[int, int], WatermarkPayload], bool]
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)


class OutputRecord(Base):
    """One image limner returned. Columns are listed for the Alembic migration in docs/provenance.md."""

    __tablename__ = "output_registry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    audit_id: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    deployment_id: Mapped[int] = mapped_column(Integer, nullable=False)
    generation_id: Mapped[int] = mapped_column(BigInteger, index=True, nullable=False)  # unsigned 32-bit
    generator: Mapped[str] = mapped_column(String(64), nullable=False)
    generator_version: Mapped[str] = mapped_column(String(128), nullable=False)
    mime: Mapped[str] = mapped_column(String(32), nullable=False)
    # sha256 of the decoded RGB pixels (and shape): survives metadata stripping and lossless re-saves.
    pixel_sha256: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    pdq: Mapped[str] = mapped_column(String(64), nullable=False)  # hex, of the whole image
    pdq_quality: Mapped[int] = mapped_column(Integer, nullable=False)
    # ORB keypoints: uint16 count, float32 (x, y) per point, then 32-byte descriptors.
    orb_features: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


@dataclass(frozen=True)
class RegistryMatch:
    record_id: int
    audit_id: str
    created_at: datetime
    payload: WatermarkPayload
    generator: str
    distance: int | None  # "pdq": Hamming bits; "orb": RANSAC inliers; "payload": None
    key: str  # "payload" | "pdq" | "orb"


@dataclass(frozen=True)
class ImageKeys:
    pdq: bytes
    quality: int
    orb: bytes


def _pdq(rgb: NDArray[np.uint8]) -> tuple[bytes, int]:
    vec, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    return np.packbits(vec.astype(np.uint8)).tobytes(), int(quality)


def _orb(rgb: NDArray[np.uint8], n_features: int) -> tuple[NDArray[np.float32], NDArray[np.uint8]]:
    # Small patch and edge sizes: generated images are 256 px and most corners sit near shape boundaries.
    orb = cv2.ORB_create(  # type: ignore[attr-defined]
        nfeatures=n_features, fastThreshold=10, edgeThreshold=15, patchSize=15
    )
    keypoints, desc = orb.detectAndCompute(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY), None)
    if desc is None:
        return np.zeros((0, 2), np.float32), np.zeros((0, ORB_BYTES), np.uint8)
    return np.array([k.pt for k in keypoints], np.float32).reshape(-1, 2), desc


def _pack_orb(
    points: NDArray[np.float32], desc: NDArray[np.uint8], thumb: tuple[int, int, NDArray[np.uint8]] | None = None
) -> bytes:
    blob = np.uint16(len(desc)).tobytes() + points.astype(np.float32).tobytes() + desc.tobytes()
    if thumb is not None:
        w, h, pixels = thumb
        blob += np.array([w, h], np.uint16).tobytes() + pixels.astype(np.uint8).tobytes()
    return blob


def _unpack_orb(blob: bytes) -> tuple[NDArray[np.float32], NDArray[np.uint8]]:
    n = int(np.frombuffer(blob[:2], np.uint16)[0])
    points = np.frombuffer(blob[2 : 2 + 8 * n], np.float32).reshape(n, 2)
    desc = np.frombuffer(blob[2 + 8 * n : 2 + 8 * n + ORB_BYTES * n], np.uint8).reshape(n, ORB_BYTES)
    return points, desc


def _unpack_thumb(blob: bytes) -> tuple[int, int, NDArray[np.uint8]] | None:
    """The colour thumbnail appended after the ORB keys (None for rows written before it existed)."""
    n = int(np.frombuffer(blob[:2], np.uint16)[0])
    rest = blob[2 + (8 + ORB_BYTES) * n :]
    if len(rest) != 4 + THUMB_PX * THUMB_PX * 3:
        return None
    w, h = (int(v) for v in np.frombuffer(rest[:4], np.uint16))
    return w, h, np.frombuffer(rest[4:], np.uint8).reshape(THUMB_PX, THUMB_PX, 3)


def _thumbnail(rgb: NDArray[np.uint8], to_frame: NDArray[np.float64], frame: tuple[int, int]) -> tuple[Array, Array]:
    """`rgb` seen in another image's frame (`to_frame` maps rgb's pixels to that frame of `frame` = (w, h)) as a
    THUMB_PX square: blurred to the thumbnail's resolution, then resampled; and where it has pixels (1) or not (0)."""
    w, h = frame
    to_thumb = np.diag([THUMB_PX / w, THUMB_PX / h]) @ to_frame[:, :2]
    affine = np.hstack([to_thumb, (np.diag([THUMB_PX / w, THUMB_PX / h]) @ to_frame[:, 2])[:, None]])
    # Anti-alias at the thumbnail's pixel pitch measured in this image's pixels.
    sigma = 0.5 * max(w, h) / THUMB_PX / max(math.sqrt(abs(np.linalg.det(to_frame[:, :2]))), 1e-6)
    blurred = cv2.GaussianBlur(rgb.astype(np.float32), (0, 0), sigma)
    size = (THUMB_PX, THUMB_PX)
    pixels = cv2.warpAffine(blurred, affine, size, flags=cv2.INTER_LINEAR, borderValue=(0.0, 0.0, 0.0, 0.0))
    ones = np.ones(rgb.shape[:2], np.float32)
    valid = cv2.warpAffine(ones, affine, size, flags=cv2.INTER_LINEAR, borderValue=0.0) > 0.99
    return np.asarray(pixels, np.float64), np.asarray(valid, np.float64)


def _own_thumbnail(rgb: NDArray[np.uint8]) -> tuple[int, int, NDArray[np.uint8]]:
    h, w = rgb.shape[:2]
    pixels, _ = _thumbnail(rgb, np.hstack([np.eye(2), np.zeros((2, 1))]), (w, h))
    return w, h, np.clip(np.round(pixels), 0, 255).astype(np.uint8)


def compute_keys(rgb: NDArray[np.uint8], orb_features: int = 100) -> ImageKeys:
    pdq, quality = _pdq(rgb)
    return ImageKeys(pdq=pdq, quality=quality, orb=_pack_orb(*_orb(rgb, orb_features), _own_thumbnail(rgb)))


def pixel_sha256(rgb: NDArray[np.uint8]) -> str:
    return hashlib.sha256(f"{rgb.shape}".encode() + np.ascontiguousarray(rgb).tobytes()).hexdigest()


def decode_rgb(image: bytes) -> NDArray[np.uint8]:
    with Image.open(io.BytesIO(image)) as im:
        return np.asarray(im.convert("RGB"))


class OutputRegistry:
    """Records outputs and answers "did this deployment make this image, and for which request?".

    Args:
        engine: SQLAlchemy engine; the table comes from the Alembic migrations (or `create_schema` in tests).
        max_distance: PDQ Hamming distance (bits) accepted as the same image.
        min_orb_inliers: keypoint matches consistent with one similarity transform needed for an ORB match.
        strong_orb_inliers: from this many, an ORB match to a textured output is accepted without asking `confirm`.
        orb_features: keypoints stored per output.
    """

    def __init__(
        self,
        engine: Engine,
        max_distance: int = 31,
        min_orb_inliers: int = 12,
        orb_features: int = 100,
        strong_orb_inliers: int = STRONG_ORB_INLIERS,
    ) -> None:
        self._engine = engine
        self._max_distance = max_distance
        self._min_orb_inliers = min_orb_inliers
        self._strong_orb_inliers = strong_orb_inliers
        self._orb_features = orb_features
        self._ids = np.zeros(0, dtype=np.int64)
        self._whole = np.zeros((0, HASH_BYTES), dtype=np.uint8)
        self._orb_desc = np.zeros((0, ORB_BYTES), dtype=np.uint8)
        self._orb_points = np.zeros((0, 2), dtype=np.float32)
        self._orb_row = np.zeros(0, dtype=np.int64)  # index into _ids for every stored descriptor
        self._payloads = np.zeros(0, dtype=np.int64)  # watermark payload (48-bit int) per row
        self._thumbs: list[tuple[int, int, NDArray[np.uint8]] | None] = []  # per row, None for old rows
        self._textured: list[bool] = []  # per row: no dominant (background) colour in the thumbnail
        self._loaded_up_to = 0

    @property
    def min_orb_inliers(self) -> int:
        return self._min_orb_inliers

    def create_schema(self) -> None:
        """Create the table directly (tests, throwaway databases); deployments run the migrations."""
        Base.metadata.create_all(self._engine, tables=[OutputRecord.__table__])  # type: ignore[list-item]

    def allocate_generation_id(self) -> int:
        """A random unused 32-bit id: random so the payload leaks no volume, checked so it is unique."""
        with Session(self._engine) as session:
            while True:
                candidate = secrets.randbelow(2**GENERATION_ID_BITS)
                taken = session.scalar(select(OutputRecord.id).where(OutputRecord.generation_id == candidate))
                if taken is None:
                    return candidate

    def register(self, image: bytes, manifest: ProvenanceManifest) -> int:
        rgb = decode_rgb(image)
        keys = compute_keys(rgb, self._orb_features)
        record = OutputRecord(
            created_at=manifest.created_at or datetime.now(UTC),
            audit_id=manifest.audit_id,
            deployment_id=manifest.payload.deployment_id,
            generation_id=manifest.payload.generation_id,
            generator=manifest.generator,
            generator_version=manifest.generator_version,
            mime=manifest.mime,
            pixel_sha256=pixel_sha256(rgb),
            pdq=keys.pdq.hex(),
            pdq_quality=keys.quality,
            orb_features=keys.orb,
        )
        with Session(self._engine) as session, session.begin():
            session.add(record)
            session.flush()
            return int(record.id)

    def lookup_payload(self, payload: WatermarkPayload) -> tuple[RegistryMatch, ...]:
        stmt = select(OutputRecord).where(
            OutputRecord.generation_id == payload.generation_id,
            OutputRecord.deployment_id == payload.deployment_id,
        )
        with Session(self._engine) as session:
            return tuple(_match(r, None, "payload") for r in session.scalars(stmt))

    def search(self, image: bytes, limit: int = 5) -> tuple[RegistryMatch, ...]:
        """Near-duplicates of `image`, best first: PDQ, then ORB keypoints if PDQ finds nothing."""
        return self.search_rgb(decode_rgb(image), limit)

    def search_rgb(
        self, rgb: NDArray[np.uint8], limit: int = 5, use_orb: bool = True, confirm: Confirm | None = None
    ) -> tuple[RegistryMatch, ...]:
        """Near-duplicates of decoded pixels. `confirm(rgb, to_frame, frame, payload)` is asked about every PDQ
        candidate of a flat (not textured) output that passed the thumbnail check, at PDQ's geometry (a resize to the
        registered size), and about every ORB candidate that passed the keypoint fit and the thumbnail check, unless
        the output is textured and the fit has at least `strong_orb_inliers` inliers (`to_frame` maps `rgb` into the
        registered image's frame (w, h)). The provenance service passes the watermark's informed test for that row's
        payload, because look-alike outputs the deployment never made pass the picture checks (docs/provenance.md)."""
        self._refresh()
        if len(self._ids) == 0:
            return ()
        found: list[tuple[int, int, str]] = []  # (row index, score, key)
        whole = self.pdq_distances(rgb)
        # Every PDQ candidate is confirmed on the colour thumbnail (same frame, scaled): generated outputs share
        # backgrounds and layouts, so many of them sit within the PDQ threshold of each other.
        qh, qw = rgb.shape[:2]
        for i in np.argsort(whole, kind="stable")[:MAX_CONFIRM]:
            if whole[i] > self._max_distance or len(found) >= limit:
                break
            w, h = self.frame_of(int(i), (qw, qh))
            to_frame = np.array([[w / qw, 0.0, 0.0], [0.0, h / qh, 0.0]])
            if not self._same_picture(rgb, to_frame, int(i)):
                continue
            # A flat output can be drawn again, unmarked, nearly pixel for pixel (PDQ 12 bits and the thumbnail agreed
            # on an unregistered output): it must carry the row's payload at PDQ's geometry (the resize back to the
            # registered size). Textured outputs are exempt, as for keypoints: not redrawn by chance.
            if (
                confirm is not None
                and not self._textured[int(i)]
                and not confirm(rgb, to_frame, (w, h), self.payload_of(int(i)))
            ):
                continue
            found.append((int(i), int(whole[i]), "pdq"))
        if not found and use_orb:
            fits = self.orb_fits(rgb)
            for i, (n, matrix) in sorted(fits.items(), key=lambda kv: -kv[1][0]):
                if n < self._min_orb_inliers or len(found) >= limit:
                    break
                strong = n >= self._strong_orb_inliers and self._textured[i]
                if (
                    confirm is not None
                    and not strong
                    and not confirm(rgb, matrix, self.frame_of(i, (qw, qh)), self.payload_of(i))
                ):
                    continue
                found.append((i, n, "orb"))
        if not found:
            return ()
        ids = [int(self._ids[i]) for i, _, _ in found]
        with Session(self._engine) as session:
            rows = {r.id: r for r in session.scalars(select(OutputRecord).where(OutputRecord.id.in_(ids)))}
        return tuple(_match(rows[rid], score, key) for rid, (_, score, key) in zip(ids, found, strict=True))

    def pdq_distances(self, rgb: NDArray[np.uint8]) -> NDArray[np.int64]:
        """PDQ Hamming distance of `rgb` to every registered output (for search and calibration)."""
        self._refresh()
        query = np.frombuffer(_pdq(rgb)[0], dtype=np.uint8)
        return np.asarray(_POPCOUNT[self._whole ^ query].sum(axis=1), dtype=np.int64)

    def orb_inliers(self, rgb: NDArray[np.uint8]) -> dict[int, int]:
        """RANSAC inlier count per registered output that shares enough distinctive keypoints with `rgb`."""
        return {row: n for row, (n, _) in self.orb_fits(rgb).items()}

    def orb_fits(self, rgb: NDArray[np.uint8]) -> dict[int, tuple[int, Array]]:
        """Per registered output (row index) whose keypoint fit passed: RANSAC inliers and the 2x3 similarity
        transform from `rgb`'s pixels to the registered image's."""
        self._refresh()
        points, desc = _orb(rgb, max(150, self._orb_features))
        if len(desc) < 2 or len(self._orb_desc) < 2:
            return {}
        matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        # No ratio test against the whole registry: generated outputs reuse identical shapes, so a keypoint's best
        # and second-best matches are usually the same corner in two outputs, and the test threw away true matches
        # (crop recall fell to ~5% at 300 outputs). Each close descriptor votes for its output instead; the geometry
        # fit and the thumbnail check below are what reject outputs that only share a shape.
        pairs = matcher.knnMatch(desc, self._orb_desc, k=ORB_NEIGHBOURS)
        by_row: dict[int, list[tuple[int, int]]] = {}
        for cand in pairs:
            seen: set[int] = set()
            for m in cand:
                row = int(self._orb_row[m.trainIdx])
                if m.distance <= ORB_MAX_HAMMING and row not in seen:
                    seen.add(row)
                    by_row.setdefault(row, []).append((m.queryIdx, m.trainIdx))
        ranked = sorted(by_row.items(), key=lambda kv: -len(kv[1]))[:ORB_MAX_ROWS]
        by_row = dict(ranked)
        out: dict[int, tuple[int, Array]] = {}
        for row, matches in by_row.items():
            if len(matches) < max(4, self._min_orb_inliers // 2):
                continue
            src = points[[q for q, _ in matches]]
            dst = self._orb_points[[t for _, t in matches]]
            # A similarity transform (rotation, scale, shift) is what crops, resizes and rotations do.
            fitted, mask = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=3.0)
            if fitted is None or mask is None:
                continue
            matrix = np.asarray(fitted, np.float64)
            scale = math.hypot(matrix[0, 0], matrix[1, 0])
            angle = math.degrees(math.atan2(matrix[1, 0], matrix[0, 0]))
            # Only the edits this key is for (crops, resizes, small rotations) count; repetitive patterns otherwise
            # produce degenerate fits (many points onto one, scale ~0, arbitrary angles) with many "inliers".
            if not (MIN_SCALE <= scale <= MAX_SCALE and abs(angle) <= MAX_ROTATION_DEG):
                continue
            inlier_train = {t for (_, t), keep in zip(matches, mask.ravel(), strict=True) if keep}
            if len(inlier_train) >= self._min_orb_inliers and not self._same_picture(rgb, matrix, row):
                continue
            out[row] = (len(inlier_train), matrix)
        return out

    def payload_of(self, row: int) -> WatermarkPayload:
        """The watermark payload of the output at row index `row` (as returned by `orb_fits`)."""
        return WatermarkPayload.from_int(int(self._payloads[row]))

    def frame_of(self, row: int, default: tuple[int, int]) -> tuple[int, int]:
        """(w, h) of the output at row index `row`; `default` for rows written before thumbnails."""
        thumb = self._thumbs[row]
        return (thumb[0], thumb[1]) if thumb is not None else default

    def _same_picture(self, rgb: NDArray[np.uint8], matrix: Array, row: int) -> bool:
        """Does the fit explain the whole query, not one shape? Generated images reuse identical shapes, so a
        keypoint fit alone matched one circle to the same circle elsewhere in another output; a crop, resize or
        rotation of the registered image instead lies mostly inside it, covers most of it and agrees in colour
        everywhere it overlaps (checked on a 32 px thumbnail)."""
        thumb = self._thumbs[row]
        if thumb is None:
            return True  # rows written before thumbnails: keypoints only, as before
        w, h, stored = thumb
        qh, qw = rgb.shape[:2]
        corners = np.array([[0, 0], [qw, 0], [qw, qh], [0, qh]], np.float32)[None]
        mapped = cv2.transform(corners, matrix)[0]
        inside = cv2.intersectConvexConvex(
            mapped.astype(np.float32), np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        )[0]
        query_area = abs(float(np.linalg.det(matrix[:, :2]))) * qw * qh
        if inside < MIN_QUERY_INSIDE * query_area or inside < MIN_OUTPUT_COVERED * w * h:
            return False
        pixels, valid = _thumbnail(rgb, matrix, (w, h))
        covered = valid > 0
        if covered.sum() < MIN_OUTPUT_COVERED * THUMB_PX * THUMB_PX:
            return False
        return _mismatch(pixels, stored, covered) <= MAX_MISMATCH


    def _refresh(self) -> None:
        # Incremental: only rows added since the last call (by this or another process) are read.
        stmt = select(
            OutputRecord.id,
            OutputRecord.pdq,
            OutputRecord.orb_features,
            OutputRecord.deployment_id,
            OutputRecord.generation_id,
        ).where(
            OutputRecord.id > self._loaded_up_to
        )
        with Session(self._engine) as session:
            if session.scalar(select(func.max(OutputRecord.id))) in (None, self._loaded_up_to):
                return
            rows = session.execute(stmt.order_by(OutputRecord.id)).all()
        if not rows:
            return
        base = len(self._ids)
        whole = np.frombuffer(b"".join(bytes.fromhex(r.pdq) for r in rows), dtype=np.uint8).reshape(-1, HASH_BYTES)
        unpacked = [_unpack_orb(r.orb_features) for r in rows]
        self._ids = np.concatenate([self._ids, np.array([r.id for r in rows], dtype=np.int64)])
        payloads = [WatermarkPayload(r.deployment_id, r.generation_id).to_int() for r in rows]
        self._payloads = np.concatenate([self._payloads, np.array(payloads, dtype=np.int64)])
        self._whole = np.concatenate([self._whole, whole])
        self._orb_points = np.concatenate([self._orb_points, *(p for p, _ in unpacked)])
        self._orb_desc = np.concatenate([self._orb_desc, *(d for _, d in unpacked)])
        self._orb_row = np.concatenate(
            [self._orb_row, *(np.full(len(d), base + k, dtype=np.int64) for k, (_, d) in enumerate(unpacked))]
        )
        thumbs = [_unpack_thumb(r.orb_features) for r in rows]
        self._thumbs.extend(thumbs)
        self._textured.extend(t is not None and _dominant(t[2]).mean() < TEXTURED_MAX_DOMINANT for t in thumbs)
        self._loaded_up_to = int(rows[-1].id)


def _mismatch(pixels: Array, stored: NDArray[np.uint8], covered: NDArray[np.bool_]) -> float:
    """Fraction of the registered thumbnail's content that the query does not reproduce. Content = pixels away from
    the dominant (background) colour: generated outputs are mostly background, and two different scenes on the same
    background agree on most of their area; on images with no dominant colour, content is nearly every pixel."""
    ref = stored.astype(np.float64)
    differs = np.max(np.abs(pixels - ref), axis=2) > MISMATCH_LEVEL
    quantised = (stored // 32).reshape(-1, 3)
    codes, counts = np.unique(quantised[:, 0] * 64 + quantised[:, 1] * 8 + quantised[:, 2], return_counts=True)
    dominant = quantised[:, 0] * 64 + quantised[:, 1] * 8 + quantised[:, 2] == codes[np.argmax(counts)]
    background = np.median(ref.reshape(-1, 3)[dominant], axis=0)
    content = (np.max(np.abs(ref - background), axis=2) > MISMATCH_LEVEL) & covered
    area = float(differs[covered].mean())
    if content.sum() < MIN_CONTENT_PX:
        return area  # (nearly) blank output: the whole covered area is all there is to compare
    return max(area, float(differs[content].mean()))


def _dominant(stored: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Thumbnail pixels (flattened) in the most common colour bin (32 levels per channel): the background."""
    quantised = (stored // 32).reshape(-1, 3).astype(np.int64)
    codes = quantised[:, 0] * 64 + quantised[:, 1] * 8 + quantised[:, 2]
    values, counts = np.unique(codes, return_counts=True)
    return np.asarray(codes == values[np.argmax(counts)], dtype=np.bool_)


def _match(record: OutputRecord, distance: int | None, key: str) -> RegistryMatch:
    return RegistryMatch(
        record_id=record.id,
        audit_id=record.audit_id,
        created_at=record.created_at,
        payload=WatermarkPayload(record.deployment_id, record.generation_id),
        generator=record.generator,
        distance=distance,
        key=key,
    )
