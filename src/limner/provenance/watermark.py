"""Provenance stage: a robust invisible watermark carrying a 48-bit payload (deployment id + generation id).

Decides, blind (without the original), whether an image carries a limner watermark and which payload. Design:
- a keyed pseudo-random tile (default 128 px) of 4-px chips, Gaussian-shaped so its energy sits at mid frequencies
  that survive JPEG 50 and a 0.5x resize, added to luminance and repeated over the whole image;
- a quarter of the chips are a known pilot used for synchronisation, the rest carry the payload + CRC-16 through a
  rate-1/3 convolutional code, each code bit spread over several chips in every tile;
- the strength is a PSNR budget (39 dB in pixels), and `mark` checks it again on the encoded JPEG / WebP file against
  the unmarked image through the same encoder, lowering the amplitude if the encoder pushed it under `min_psnr_db`;
- the detector whitens the image (subtracts a blur, clips strong edges), tries a few geometric hypotheses (identity,
  the lattice seen in the residual's autocorrelation, then a sweep of small rotations), folds the residual modulo the
  tile, finds the cyclic shift by FFT correlation with the pilot (so any crop works), then Viterbi-decodes and checks
  the CRC; each hypothesis is decoded as soon as it is formed, cheapest first, so most images cost one or two.
A payload is reported only when the pilot peak clears `min_sync_z`, the soft bits agree with the decoded codeword
(`max_bit_errors`) and the CRC-16 passes for one of at most
1 + `decode_attempts` decoded geometries, which bounds the false-positive rate by about (1 + decode_attempts) * 2^-16.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from limner.provenance.base import (
    DEPLOYMENT_ID_BITS,
    GENERATION_ID_BITS,
    ProvenanceManifest,
    ProvenanceReport,
    WatermarkPayload,
    sniff_mime,
)
from limner.provenance.ecc import CRC_BITS, add_crc, bits_to_int, check_crc, coded_length, conv_encode, viterbi_decode

Array = NDArray[np.float64]
_LUMA = np.array([0.299, 0.587, 0.114])
PAYLOAD_BITS = DEPLOYMENT_ID_BITS + GENERATION_ID_BITS
# Rate-1/3 code, zero start state: the first 3 * DEPLOYMENT_ID_BITS code bits depend on the deployment id alone.
_PAYLOAD_SPECIFIC_FROM = 3 * DEPLOYMENT_ID_BITS
CONFIRM_SEARCH_PX = 2  # +- px the informed test searches around the registry's fitted alignment


@dataclass(frozen=True)
class WatermarkReading:
    """The detector's full measurement, for benchmarks (bit accuracy) and the report."""

    found: bool
    payload: WatermarkPayload | None
    sync_z: float  # pilot correlation peak, in robust standard deviations above the other shifts
    bits: NDArray[np.uint8]  # hard decisions of the 64 payload+CRC bits (valid even when the CRC fails)
    bit_errors: int  # coded bits the decoder flipped
    hypothesis: str


@dataclass(frozen=True)
class _Layout:
    tile: int
    chip: int
    pilot: NDArray[np.bool_]  # (n_chips,) True where the chip is a pilot chip
    pn: Array  # (n_chips,) +-1 keyed spreading sequence
    bit_of_chip: NDArray[np.int64]  # (n_chips,) coded-bit index for data chips, -1 for pilot chips
    n_coded: int


class SpreadSpectrumWatermark:
    """Tiled spread-spectrum luminance watermark; see the module docstring for the design.

    Args:
        key: secret that seeds the chip layout; detection needs the same key.
        target_psnr_db: embedding strength, as the PSNR of the marked vs the unmarked image (in pixels).
        min_psnr_db: floor on the PSNR of the encoded file vs the unmarked image through the same encoder (JPEG and
            WebP); `mark` lowers the strength, down to `min_scale` of its amplitude, to stay above it.
        min_sync_z: pilot-peak threshold; with the CRC it sets the false-positive rate.
        max_bit_errors: most of the 210 coded bits that may disagree with the re-encoded decision. Viterbi finds a
            close codeword even in noise (43-60 disagreements measured on unmarked images) while marked images read
            with 0-24 after JPEG 50, crops and screenshots (44 at worst, a rotated photo-like image): a second test,
            independent of the CRC, so a chance CRC pass on an unmarked image is not reported.
    """

    name: ClassVar[str] = "watermark"

    def __init__(
        self,
        key: str = "limner-dev-watermark-key",
        target_psnr_db: float = 39.0,
        min_psnr_db: float = 38.2,
        min_scale: float = 0.6,
        tile_px: int = 128,
        chip_px: int = 4,
        pilot_fraction: float = 0.25,
        min_sync_z: float = 4.0,
        max_bit_errors: int = 36,
        decode_attempts: int = 3,
        max_rotation_deg: int = 7,
    ) -> None:
        if tile_px % chip_px:
            raise ValueError("tile_px must be a multiple of chip_px")
        self._target_psnr_db = target_psnr_db
        self._min_psnr_db = min_psnr_db
        self._min_scale = min_scale
        self._min_sync_z = min_sync_z
        self._max_bit_errors = max_bit_errors
        self._decode_attempts = decode_attempts
        self._max_rotation_deg = max_rotation_deg
        self._layout = _make_layout(key, tile_px, chip_px, pilot_fraction)
        self._pilot_tile = _shape(
            np.where(self._layout.pilot, self._layout.pn, 0.0), self._layout.tile, self._layout.chip
        )
        self._pilot_fft = np.conj(np.fft.rfft2(self._pilot_tile))

    # -- embedding ---------------------------------------------------------------------------------------------
    def tile_pattern(self, payload: WatermarkPayload) -> Array:
        lay = self._layout
        coded = conv_encode(add_crc(_payload_bits(payload))).astype(np.float64) * 2.0 - 1.0
        chips = np.where(lay.pilot, 1.0, coded[np.maximum(lay.bit_of_chip, 0)]) * lay.pn
        pattern = _shape(chips, lay.tile, lay.chip)
        return np.asarray(pattern / np.sqrt(np.mean(pattern**2)), dtype=np.float64)

    def embed(self, rgb: NDArray[np.uint8], payload: WatermarkPayload, scale: float = 1.0) -> NDArray[np.uint8]:
        """Marked pixels at `target_psnr_db` (times `scale` in amplitude; `mark` lowers it when an encoder adds
        distortion of its own)."""
        return _apply(rgb, self.delta(rgb, payload), scale)

    def delta(self, rgb: NDArray[np.uint8], payload: WatermarkPayload) -> Array:
        """The luminance change (h, w) that carries `payload` at `target_psnr_db`, before rounding and clipping."""
        lay = self._layout
        h, w = rgb.shape[:2]
        base = rgb.astype(np.float64)
        luma = base @ _LUMA
        coded = conv_encode(add_crc(_payload_bits(payload))).astype(np.float64) * 2.0 - 1.0
        signs = np.where(lay.pilot, 1.0, coded[np.maximum(lay.bit_of_chip, 0)])
        group = np.where(lay.pilot, lay.n_coded, lay.bit_of_chip)  # pilot chips form one more group
        # Perceptual masking, mild on purpose: generated images are mostly flat, so most of the energy must stay in
        # flat regions or it would not survive; texture only lets busier areas take up to twice as much.
        activity = cv2.GaussianBlur(np.abs(luma - cv2.GaussianBlur(luma, (0, 0), 1.5)), (0, 0), 4.0)
        mask = 1.0 + np.clip(activity / (np.median(activity) + 4.0), 0.0, 1.0)

        def pattern(chip_coeffs: Array) -> Array:
            tile = _shape(chip_coeffs * lay.pn, lay.tile, lay.chip)
            reps = (math.ceil(h / lay.tile), math.ceil(w / lay.tile))
            return np.asarray(np.tile(tile, reps)[:h, :w] * mask, dtype=np.float64)

        # Improved spread spectrum (Malvar & Florencio): the host's own projection on each code bit (and on the pilot)
        # is measured with the detector's chain and subtracted, so textured hosts do not drown the mark.
        host = np.bincount(group, weights=self._chip_values(luma), minlength=lay.n_coded + 1)
        d_bits = pattern(signs)
        response = np.bincount(group, weights=self._chip_values(luma + d_bits), minlength=lay.n_coded + 1) - host
        # response of group g to chip coefficients +1 (times pn) is |response_g|; cancel -host_g / |response_g|.
        unit = np.abs(response) + 1e-9
        d_host = pattern((host / unit)[group])
        target = _mse(self._target_psnr_db) * h * w
        bb, bh, hh = float(np.sum(d_bits**2)), float(np.sum(d_bits * d_host)), float(np.sum(d_host**2))
        lam = min(1.0, 0.6 * math.sqrt(target / max(hh, 1e-9)))  # never spend more than ~1/3 of the budget cancelling
        # Solve ||alpha*d_bits - lam*d_host||^2 = target for alpha > 0.
        a, b, c = bb, -2.0 * lam * bh, lam**2 * hh - target
        alpha = (-b + math.sqrt(max(b * b - 4 * a * c, 0.0))) / (2 * a)
        delta = alpha * d_bits - lam * d_host
        # Saturated pixels absorb part of the mark; top up once so PSNR lands on the target.
        rms = math.sqrt(float(np.mean((_apply(rgb, delta, 1.0) - base) ** 2)))
        top_up = min(1.5, math.sqrt(target / (h * w)) / max(rms, 1e-6))
        return np.asarray(delta * top_up if top_up > 1.02 else delta, dtype=np.float64)

    def _chip_values(self, luma: Array) -> Array:
        """Per-chip despread values at identity geometry: what `read` sees before grouping into code bits."""
        lay = self._layout
        folded = self._fold(_whiten(luma), np.eye(2))
        n = lay.tile // lay.chip
        filtered = _cyclic_blur(folded, lay.chip)
        return np.asarray(
            filtered.reshape(n, lay.chip, n, lay.chip).sum(axis=(1, 3)).ravel() * lay.pn, dtype=np.float64
        )

    def mark(self, image: bytes, manifest: ProvenanceManifest) -> bytes:
        """Watermark and encode as `manifest.mime` (the output format; the input may be any supported format).

        The distortion budget is checked on the file handed out: a lossy encoder re-quantises the mark's texture
        and adds noise of its own, so the encoded marked image is compared with the unmarked image through the same
        encoder and quality, and the mark is scaled down (at most to `min_scale`) until that PSNR is at least
        `min_psnr_db`.
        """
        sniff_mime(image)
        mime = manifest.mime
        with Image.open(io.BytesIO(image)) as im:
            mode = im.mode
            rgb = np.asarray(im.convert("RGB"))
            alpha = im.getchannel("A") if "A" in im.getbands() else None
        keep_alpha = alpha is not None and mode in ("RGBA", "LA")

        def encoded(pixels: NDArray[np.uint8]) -> bytes:
            out = Image.fromarray(pixels)
            if keep_alpha:
                assert alpha is not None
                out.putalpha(alpha)
            return encode_image(out, mime)

        delta = self.delta(rgb, manifest.payload)
        marked = _apply(rgb, delta, 1.0)
        data = encoded(marked)
        if mime not in _LOSSY:
            return data  # lossless: the pixels are exactly what `delta` measured
        reference = _decode_rgb(encoded(rgb))
        scale, psnr = 1.0, _psnr(_decode_rgb(data), reference)
        mark_mse = float(np.mean((marked.astype(np.float64) - rgb.astype(np.float64)) ** 2))
        for _ in range(2):
            if psnr >= self._min_psnr_db or scale <= self._min_scale:
                break
            # MSE(encoded) ~ scale^2 * mark_mse + encoder excess; solve for the scale that lands a little above the
            # floor (the excess shrinks with the mark too, so this errs on the safe side).
            excess = max(_mse(psnr) - scale**2 * mark_mse, 0.0)
            room = _mse(self._min_psnr_db + 0.15) - excess
            scale = max(self._min_scale, math.sqrt(max(room, 0.0) / max(mark_mse, 1e-9)))
            data = encoded(_apply(rgb, delta, scale))
            psnr = _psnr(_decode_rgb(data), reference)
        return data

    # -- detection ---------------------------------------------------------------------------------------------
    def read(self, rgb: NDArray[np.uint8]) -> WatermarkReading:
        luma = rgb.astype(np.float64) @ _LUMA if rgb.ndim == 3 else rgb.astype(np.float64)
        resid = _whiten(luma)
        # Cheapest hypotheses first, each decoded as soon as it is formed: untouched geometry (re-encodes, crops),
        # then the lattice seen in the autocorrelation (rescales, screenshots, most rotations), and only then the
        # rotation sweep, whose best candidates by pilot peak are decoded. Every decode can pass the CRC by chance
        # with probability 2^-16; there are at most 1 + decode_attempts of them per image.
        best: WatermarkReading | None = None
        attempts = 0
        for label in ("identity", "autocorrelation"):
            matrix = np.eye(2) if label == "identity" else _lattice_estimate(resid, self._layout.tile)
            if matrix is None:
                continue
            reading = self._decode(*self._candidate(resid, label, matrix))
            attempts += 1
            if reading.found:
                return reading
            if best is None or reading.sync_z > best.sync_z:
                best = reading
        assert best is not None
        sweep = [self._candidate(resid, label, m) for label, m in self._rotations()]
        sweep.sort(key=lambda c: -c[0])
        for cand in sweep[: max(0, 1 + self._decode_attempts - attempts)]:
            reading = self._decode(*cand)
            if reading.found:
                return reading
            if reading.sync_z > best.sync_z:
                best = reading
        return best

    def _candidate(self, resid: Array, label: str, matrix: Array) -> tuple[float, tuple[int, int], Array, str]:
        folded = self._fold(resid, matrix)
        corr = np.fft.irfft2(np.fft.rfft2(folded) * self._pilot_fft, s=folded.shape)
        peak = int(np.argmax(corr))
        shift = divmod(peak, corr.shape[1])
        return _robust_z(corr, corr.flat[peak]), (int(shift[0]), int(shift[1])), folded, label

    def _decode(self, z: float, shift: tuple[int, int], folded: Array, label: str) -> WatermarkReading:
        aligned = np.roll(folded, (-shift[0], -shift[1]), axis=(0, 1))
        soft = self._soft_bits(aligned)
        bits = viterbi_decode(soft, PAYLOAD_BITS + CRC_BITS)
        recoded = conv_encode(bits).astype(np.float64) * 2.0 - 1.0
        bit_errors = int(np.sum(np.sign(soft) != recoded))
        ok = bool(z >= self._min_sync_z and bit_errors <= self._max_bit_errors and check_crc(bits))
        payload = WatermarkPayload.from_int(bits_to_int(bits[:PAYLOAD_BITS])) if ok else None
        return WatermarkReading(ok, payload, float(z), bits, bit_errors, label)

    def detect(self, image: bytes) -> ProvenanceReport:
        try:
            with Image.open(io.BytesIO(image)) as im:
                rgb = np.asarray(im.convert("RGB"))
        except (OSError, ValueError) as exc:
            return ProvenanceReport(marker=self.name, found=False, detail=f"unreadable image: {exc}")
        reading = self.read(rgb)
        return ProvenanceReport(
            marker=self.name,
            found=reading.found,
            confidence=self.confidence(reading.sync_z) if reading.found else 0.0,
            payload=reading.payload,
            bit_errors=reading.bit_errors,
            detail=f"sync_z={reading.sync_z:.1f} geometry={reading.hypothesis}",
        )

    def informed_z(
        self,
        rgb: NDArray[np.uint8],
        payload: WatermarkPayload,
        to_frame: Array,
        frame: tuple[int, int],
        search_px: int = CONFIRM_SEARCH_PX,
    ) -> float:
        """Non-blind test for one known payload: how strongly `rgb` carries `payload`'s pattern, as a z-score.

        `to_frame` (2x3) maps `rgb`'s pixels into the frame (w, h) of the image that was marked, where the tile's
        origin is (0, 0): the registry's fitted geometry (a scale for PDQ matches, the ORB similarity transform), so
        no blind geometry search is needed. The pilot chips pick the shift within +-`search_px` (the fit is off by a
        pixel or two); then, at that shift, each payload-specific code bit's despread value is multiplied by the bit
        it should carry and the mean of those products is t-tested against 0. Pilot chips and the code bits that only
        depend on the deployment id are left out, so the statistic separates this payload from every other payload
        of the same deployment (their codewords agree on about half of the remaining bits, by chance), and an
        unmarked image gives ~N(0, 1) at any alignment.
        """
        lay = self._layout
        luma = rgb.astype(np.float64) @ _LUMA if rgb.ndim == 3 else rgb.astype(np.float64)
        w, h = frame
        both = np.dstack([_whiten(luma), np.ones_like(luma)]).astype(np.float32)
        out = cv2.warpAffine(
            both, np.asarray(to_frame, np.float64), (w, h), flags=cv2.INTER_LINEAR, borderValue=(0.0, 0.0, 0.0, 0.0)
        )
        valid = (out[..., 1] > 0.99).astype(np.float64)
        folded = _fold_tiles(out[..., 0].astype(np.float64) * valid, valid, lay.tile)
        filtered = _cyclic_blur(folded, lay.chip)
        # Shift by pilot correlation in a small window (disjoint from the data chips, so the data test stays unbiased).
        corr = np.fft.irfft2(np.fft.rfft2(folded) * self._pilot_fft, s=folded.shape)
        offsets = range(-search_px, search_px + 1)
        dy, dx = max(((y, x) for y in offsets for x in offsets), key=lambda s: corr[s[0] % lay.tile, s[1] % lay.tile])
        n = lay.tile // lay.chip
        aligned = np.roll(filtered, (-dy, -dx), axis=(0, 1))
        chips = aligned.reshape(n, lay.chip, n, lay.chip).sum(axis=(1, 3)).ravel() * lay.pn
        data = ~lay.pilot
        soft = np.bincount(lay.bit_of_chip[data], weights=chips[data], minlength=lay.n_coded)
        coded = conv_encode(add_crc(_payload_bits(payload))).astype(np.float64) * 2.0 - 1.0
        agree = (soft * coded)[_PAYLOAD_SPECIFIC_FROM:]
        return float(np.mean(agree) / (np.std(agree, ddof=1) / math.sqrt(len(agree)) + 1e-12))

    def confidence(self, sync_z: float) -> float:
        """1 - an upper bound on the false-positive probability: Gaussian tail of the pilot peak over every shift
        and hypothesis tried, times the CRC's 2^-16 (measured false positives are in docs/provenance.md)."""
        n_tests = self._layout.tile**2 * (2 * self._max_rotation_deg + 2)
        tail = 0.5 * math.erfc(sync_z / math.sqrt(2.0)) * n_tests
        return float(1.0 - min(1.0, tail) * (1 + self._decode_attempts) * 2.0**-CRC_BITS)

    def _rotations(self) -> list[tuple[str, Array]]:
        # Matrices map original (watermark) coordinates to received coordinates (2x2, about the image centre).
        hyps: list[tuple[str, Array]] = []
        for deg in range(-self._max_rotation_deg, self._max_rotation_deg + 1):
            if deg:
                t = math.radians(deg)
                hyps.append((f"rotate{deg:+d}", np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])))
        return hyps

    def _fold(self, resid: Array, matrix: Array) -> Array:
        t = self._layout.tile
        h, w = resid.shape
        if np.allclose(matrix, np.eye(2)):
            warped, valid = resid, np.ones_like(resid)
        else:
            scale = math.sqrt(abs(np.linalg.det(matrix)))
            out_h, out_w = int(h / scale), int(w / scale)
            centre_in = np.array([w / 2.0, h / 2.0])
            centre_out = np.array([out_w / 2.0, out_h / 2.0])
            # cv2 uses (x, y); received = M @ (out - centre_out) + centre_in, the map WARP_INVERSE_MAP wants.
            affine = np.hstack([matrix, (centre_in - matrix @ centre_out)[:, None]])
            flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
            # Residual and coverage warped in one call (two float32 channels): half the cost of two float64 warps.
            both = np.dstack([resid, np.ones_like(resid)]).astype(np.float32)
            out = cv2.warpAffine(both, affine, (out_w, out_h), flags=flags, borderValue=(0.0, 0.0, 0.0, 0.0))
            valid = (out[..., 1] > 0.99).astype(np.float64)
            warped = out[..., 0].astype(np.float64) * valid
        return _fold_tiles(warped, valid, t)

    def _soft_bits(self, aligned: Array) -> Array:
        lay = self._layout
        n = lay.tile // lay.chip
        # Matched filter for the Gaussian chip shaping, then integrate over each chip.
        filtered = _cyclic_blur(aligned, lay.chip)
        chips = filtered.reshape(n, lay.chip, n, lay.chip).sum(axis=(1, 3)).ravel() * lay.pn
        data = ~lay.pilot
        soft = np.bincount(lay.bit_of_chip[data], weights=chips[data], minlength=lay.n_coded)
        return soft / (np.std(soft) + 1e-12)


_LOSSY = frozenset({"image/jpeg", "image/webp"})


def _mse(psnr_db: float) -> float:
    return (255.0 / 10 ** (psnr_db / 20.0)) ** 2


def _psnr(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def _apply(rgb: NDArray[np.uint8], delta: Array, scale: float) -> NDArray[np.uint8]:
    # Luminance only: the same change on R, G and B.
    return np.clip(np.round(rgb.astype(np.float64) + scale * delta[..., None]), 0, 255).astype(np.uint8)


def _decode_rgb(data: bytes) -> NDArray[np.uint8]:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def _payload_bits(payload: WatermarkPayload) -> NDArray[np.uint8]:
    value = payload.to_int()
    return np.array([(value >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)], dtype=np.uint8)


def _make_layout(key: str, tile: int, chip: int, pilot_fraction: float) -> _Layout:
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    rng = np.random.default_rng(seed)
    n_chips = (tile // chip) ** 2
    pn = rng.choice([-1.0, 1.0], size=n_chips)
    order = rng.permutation(n_chips)
    n_pilot = round(n_chips * pilot_fraction)
    pilot = np.zeros(n_chips, dtype=bool)
    pilot[order[:n_pilot]] = True
    n_coded = coded_length(PAYLOAD_BITS + 16)
    bit_of_chip = np.full(n_chips, -1, dtype=np.int64)
    # Data chips take code bits round-robin in a keyed order, so each code bit lands in scattered places.
    bit_of_chip[order[n_pilot:]] = np.arange(n_chips - n_pilot) % n_coded
    return _Layout(tile, chip, pilot, pn, bit_of_chip, n_coded)


def _fold_tiles(warped: Array, valid: Array, tile: int) -> Array:
    """Average `warped` modulo the tile over the pixels where `valid` (the mark repeats every tile)."""
    h, w = warped.shape
    ph, pw = math.ceil(h / tile) * tile, math.ceil(w / tile) * tile
    acc = np.zeros((ph, pw))
    cnt = np.zeros((ph, pw))
    acc[:h, :w] = warped
    cnt[:h, :w] = valid
    total = acc.reshape(ph // tile, tile, pw // tile, tile).sum(axis=(0, 2))
    count = cnt.reshape(ph // tile, tile, pw // tile, tile).sum(axis=(0, 2))
    return np.asarray(np.where(count > 0, total / np.maximum(count, 1.0), 0.0), dtype=np.float64)


def _shape(chips: Array, tile: int, chip: int) -> Array:
    n = tile // chip
    grid = np.kron(chips.reshape(n, n), np.ones((chip, chip)))
    return _cyclic_blur(np.asarray(grid, dtype=np.float64), chip)


def _cyclic_blur(x: Array, chip: int) -> Array:
    # Blur with wrap-around so the tile stays seamless when repeated; sigma tied to the chip size keeps energy at
    # periods of about 2-4 chips (8-16 px), below JPEG's coarse quantisation and above a 0.5x resize cutoff.
    pad = 3 * chip
    padded = np.pad(x, pad, mode="wrap")
    return np.asarray(cv2.GaussianBlur(padded, (0, 0), 0.3 * chip)[pad:-pad, pad:-pad], dtype=np.float64)


def _whiten(luma: Array) -> Array:
    resid = luma - cv2.GaussianBlur(luma, (0, 0), 3.0)
    # Weight each pixel by the inverse local noise level (the ML detector for noise that varies over the image):
    # flat regions, where the mark is clean, count more than texture; the floor is about the mark's own level.
    local = np.sqrt(cv2.GaussianBlur(resid**2, (0, 0), 6.0) + 4.0)
    # Edges of flat shapes still spike; clipping bounds their weight in correlations.
    return np.asarray(np.clip(resid / local, -2.5, 2.5), dtype=np.float64)


def _robust_z(corr: Array, peak: float) -> float:
    med = float(np.median(corr))
    mad = float(np.median(np.abs(corr - med))) * 1.4826
    return (peak - med) / (mad + 1e-12)


def _lattice_estimate(resid: Array, tile: int) -> Array | None:
    """The tile lattice as seen in the residual's autocorrelation: two basis vectors -> scale, rotation, shear."""
    h, w = resid.shape
    f = np.fft.rfft2(resid, s=(2 * h, 2 * w))
    # Normalise by overlap so long lags are not penalised for covering fewer pixels.
    ac = np.fft.fftshift(np.fft.irfft2(np.abs(f) ** 2, s=(2 * h, 2 * w))) * _lattice_geometry(h, w, tile)[0]
    cy, cx = h, w
    vectors = []
    for sel in _lattice_geometry(h, w, tile)[1:]:
        if sel.size == 0:
            return None
        idx = int(sel[np.argmax(ac.flat[sel])])
        py, px = np.unravel_index(idx, ac.shape)
        dy, dx = _subpixel(ac, int(py), int(px))
        vectors.append((px + dx - cx, py + dy - cy))
    matrix = np.array([[vectors[0][0], vectors[1][0]], [vectors[0][1], vectors[1][1]]]) / tile
    det = float(np.linalg.det(matrix))
    if not 0.3 < det < 3.0:
        return None
    return matrix


@functools.lru_cache(maxsize=16)
def _lattice_geometry(h: int, w: int, tile: int) -> tuple[Array, NDArray[np.intp], NDArray[np.intp]]:
    """Per image size (cached: the same sizes recur): 1/overlap per lag, and the flat indices of the lags where the
    horizontal and the vertical lattice vector are searched (a ring around one tile, within 15 degrees of an axis)."""
    cy, cx = h, w
    yy, xx = np.mgrid[-cy : 2 * h - cy, -cx : 2 * w - cx]
    radius = np.hypot(yy, xx)
    angle = np.degrees(np.arctan2(yy, xx))
    inv_overlap = 1.0 / np.maximum((h - np.abs(yy)) * (w - np.abs(xx)), 1)
    ring = (radius > 0.6 * tile) & (radius < 1.6 * tile) & (np.abs(yy) < h - 16) & (np.abs(xx) < w - 16)
    sels = [np.flatnonzero(ring & (np.abs(((angle - c + 180) % 360) - 180) < 15)) for c in (0.0, 90.0)]
    return inv_overlap, sels[0], sels[1]


def _subpixel(a: Array, y: int, x: int) -> tuple[float, float]:
    def vertex(m: float, c: float, p: float) -> float:
        den = m - 2 * c + p
        return 0.0 if abs(den) < 1e-12 else float(np.clip(0.5 * (m - p) / den, -0.5, 0.5))

    if 0 < y < a.shape[0] - 1 and 0 < x < a.shape[1] - 1:
        return vertex(a[y - 1, x], a[y, x], a[y + 1, x]), vertex(a[y, x - 1], a[y, x], a[y, x + 1])
    return 0.0, 0.0


def encode_image(im: Image.Image, mime: str, quality: int = 95) -> bytes:
    buf = io.BytesIO()
    if mime == "image/jpeg":
        im.convert("RGB").save(buf, "JPEG", quality=quality)
    elif mime == "image/webp":
        im.save(buf, "WEBP", quality=quality)
    else:
        im.save(buf, "PNG")
    return buf.getvalue()
