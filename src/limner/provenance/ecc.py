"""Provenance stage: error-correcting code for the watermark payload (CRC-16 + rate-1/3 convolutional code).

Decides whether a set of soft bits read from an image decodes to a payload: the Viterbi decoder corrects bit errors,
and the CRC rejects decodes of noise (about 1 in 65,536 random inputs passes, which bounds the false-positive rate
together with the sync statistic in `watermark.py`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

CRC_BITS = 16
_CRC_POLY = 0x1021  # CRC-16/CCITT
_K = 7  # constraint length; 64 trellis states
_GENERATORS = (0o133, 0o171, 0o165)  # the standard K=7 rate-1/3 code (free distance 15)
_STATES = 1 << (_K - 1)


def _parity(x: NDArray[np.int64]) -> NDArray[np.int64]:
    x = x.copy()
    out = np.zeros_like(x)
    while np.any(x):
        out ^= x & 1
        x >>= 1
    return out


# Output bits for every 7-bit register value (newest input in bit 0), computed once.
_OUTPUTS = np.stack([_parity(np.arange(1 << _K, dtype=np.int64) & g) for g in _GENERATORS], axis=1)


def crc16(bits: NDArray[np.uint8]) -> int:
    reg = 0xFFFF
    for bit in bits.tolist():
        top = ((reg >> 15) & 1) ^ int(bit)
        reg = (reg << 1) & 0xFFFF
        if top:
            reg ^= _CRC_POLY
    return reg


def int_to_bits(value: int, n: int) -> NDArray[np.uint8]:
    return np.array([(value >> (n - 1 - i)) & 1 for i in range(n)], dtype=np.uint8)


def bits_to_int(bits: NDArray[np.uint8]) -> int:
    out = 0
    for b in bits.tolist():
        out = (out << 1) | int(b)
    return out


def add_crc(bits: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.concatenate([bits, int_to_bits(crc16(bits), CRC_BITS)])


def check_crc(bits: NDArray[np.uint8]) -> bool:
    return crc16(bits[:-CRC_BITS]) == bits_to_int(bits[-CRC_BITS:])


def coded_length(n_bits: int) -> int:
    return (n_bits + _K - 1) * len(_GENERATORS)


def conv_encode(bits: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Encode with a zero tail so the decoder can end in state 0."""
    state = 0
    out: list[int] = []
    for u in [*bits.tolist(), *([0] * (_K - 1))]:
        reg = ((state << 1) | int(u)) & ((1 << _K) - 1)
        out.extend(int(v) for v in _OUTPUTS[reg])
        state = reg & (_STATES - 1)
    return np.array(out, dtype=np.uint8)


def viterbi_decode(soft: NDArray[np.float64], n_bits: int) -> NDArray[np.uint8]:
    """Soft-decision Viterbi. `soft[i] > 0` means coded bit i is more likely 1; magnitude is confidence."""
    n_out = len(_GENERATORS)
    steps = n_bits + _K - 1
    y = soft[: steps * n_out].reshape(steps, n_out)
    ns = np.arange(_STATES)
    # reg = (b << 6) | ns for the two predecessors b in {0, 1}; predecessor state = (ns >> 1) | (b << 5).
    regs = np.stack([ns, ns | (1 << (_K - 1))])  # (2, 64)
    preds = np.stack([ns >> 1, (ns >> 1) | (1 << (_K - 2))])  # (2, 64)
    signs = 2.0 * _OUTPUTS[regs] - 1.0  # (2, 64, n_out)
    metric = np.full(_STATES, -np.inf)
    metric[0] = 0.0
    choices = np.zeros((steps, _STATES), dtype=np.uint8)
    for t in range(steps):
        cand = metric[preds] + signs @ y[t]  # (2, 64)
        pick = np.argmax(cand, axis=0)
        choices[t] = pick
        metric = cand[pick, ns]
    state = 0
    decoded = np.zeros(steps, dtype=np.uint8)
    for t in range(steps - 1, -1, -1):
        decoded[t] = state & 1
        b = int(choices[t, state])
        state = (state >> 1) | (b << (_K - 2))
    return decoded[:n_bits]
