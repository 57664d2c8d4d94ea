"""TFLite's quantization arithmetic in Python: the "Prepare" half, run at generation time.

`quantize_multiplier` is TFLite's QuantizeMultiplier (frexp, round half away from
zero, 31-bit significand); the integer helpers mirror the gemmlowp fixed-point
functions the reference kernels use, for goldens and generation-time tables.
"""

from __future__ import annotations

import math

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


class OutOfRange(ValueError):
    """A scale ratio or constant the int8 arithmetic cannot represent (not finite, negative, beyond int32);
    the lowerings turn it into a refusal naming the op."""


def tflite_round(x: float) -> int:
    """std::round: half away from zero."""
    if not math.isfinite(x):
        raise OutOfRange(f"a quantized value of {x!r}")
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """(significand in [2^30, 2^31), exponent) with real ≈ significand · 2^(exponent-31)."""
    if not (math.isfinite(real) and real >= 0):
        raise OutOfRange(f"a rescale factor of {real!r}")
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = tflite_round(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return int(q_fixed), int(shift)


def quantize_multiplier_smaller_than_one_exp(real: float) -> tuple[int, int]:
    """QuantizeMultiplierSmallerThanOneExp: as quantize_multiplier, for 0 < real < 1."""
    return quantize_multiplier(real)


def wrap32(x: int) -> int:
    """x modulo 2^32 as a signed int32 (C's conversion of an out-of-range value on our compilers)."""
    return ((x + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def saturating_rounding_doubling_high_mul(a: int, b: int) -> int:
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return _trunc_div(ab + nudge, 1 << 31)


def _trunc_div(n: int, d: int) -> int:
    q = abs(n) // abs(d)
    return q if (n >= 0) == (d >= 0) else -q


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    """TFLite's MultiplyByQuantizedMultiplier (double rounding)."""
    left = shift if shift > 0 else 0
    right = -shift if shift < 0 else 0
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(wrap32(x * (1 << left)), multiplier), right)


def multiply_by_quantized_multiplier_single(x: int, multiplier: int, shift: int) -> int:
    """The int64 single-rounding variant (per-channel FULLY_CONNECTED in the reference)."""
    total = 31 - shift
    return (x * multiplier + (1 << (total - 1))) >> total


def activation_range(activation: str, scale: float, zero_point: int, qmin: int = -128, qmax: int = 127) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for a fused activation name."""
    def quantize(f: float) -> int:
        # TFLite divides in float32: f / scale with scale a float.
        import numpy as np
        return zero_point + tflite_round(float(np.float32(f) / np.float32(scale)))

    if activation == "NONE":
        return qmin, qmax
    if activation == "RELU":
        return max(qmin, quantize(0.0)), qmax
    if activation == "RELU6":
        return max(qmin, quantize(0.0)), min(qmax, quantize(6.0))
    if activation == "RELU_N1_TO_1":
        return max(qmin, quantize(-1.0)), min(qmax, quantize(1.0))
    raise ValueError(activation)
