"""Watermark error-correcting code: CRC-16 + K=7 rate-1/3 convolutional code with soft Viterbi decoding."""

from __future__ import annotations

import numpy as np

from limner.provenance.ecc import add_crc, check_crc, coded_length, conv_encode, viterbi_decode


def test_viterbi_corrects_noisy_soft_bits() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        bits = add_crc(rng.integers(0, 2, 48).astype(np.uint8))
        coded = conv_encode(bits)
        assert len(coded) == coded_length(64) == 210
        soft = (2.0 * coded - 1.0) + rng.normal(0, 0.6, len(coded))
        soft[rng.choice(len(coded), 15, replace=False)] *= -1  # plus 15 confidently wrong bits
        decoded = viterbi_decode(soft, 64)
        assert check_crc(decoded) and np.array_equal(decoded, bits)


def test_crc_rejects_noise_and_corruption() -> None:
    rng = np.random.default_rng(1)
    bits = add_crc(rng.integers(0, 2, 48).astype(np.uint8))
    assert check_crc(bits)
    bits[5] ^= 1
    assert not check_crc(bits)
    passes = sum(check_crc(viterbi_decode(rng.normal(size=210), 64)) for _ in range(300))
    assert passes <= 1  # about 1 in 65,536 expected
