"""Generation-time parameters and tables of the activation kernels.

LOGISTIC and TANH int8 run, in the reference interpreter, through a 256-entry
lookup table that Prepare fills in float32 (dequantize, transform, round half
away from zero, add the zero point, clamp); we fill it the same way here.
SOFTMAX int8 runs the fixed-point reference (gemmlowp's exp_on_negative_values of the
scaled difference to the row's maximum): its input scaling is computed here as
PreprocessSoftmaxScaling / CalculateInputRadius do, and since an int8 difference takes
only 256 values, its whole exponent term too, with the reference's integer arithmetic.
"""

from __future__ import annotations

import math

import numpy as np

from . import quantization as q
from .ir import Tensor

SOFTMAX_DIFF_INTEGER_BITS = 5


def softmax_params(beta: float, input_scale: float) -> tuple[int, int, int]:
    """(input_multiplier, input_left_shift, diff_min) for the int8 reference softmax."""
    real = min(beta * input_scale * (1 << (31 - SOFTMAX_DIFF_INTEGER_BITS)), (1 << 31) - 1.0)
    mult, left_shift = q.quantize_multiplier(real)
    radius = ((1 << SOFTMAX_DIFF_INTEGER_BITS) - 1) * (1 << (31 - SOFTMAX_DIFF_INTEGER_BITS)) / 2.0 ** left_shift
    return mult, left_shift, -int(math.floor(radius))


def softmax_exp_table(beta: float, input_scale: float) -> tuple[int, ...]:
    """table[d] = the reference's exp term (Q0.31) of the input difference -d to the row's maximum,
    d = 0..255; 0 below diff_min, as the reference leaves such differences out of the sum. Trailing
    zeros are left out (at least one entry: exp(0) = 1). Needs input_left_shift in [0, 31]."""
    mult, left_shift, diff_min = softmax_params(beta, input_scale)
    table = [0 if -d < diff_min else _exp_on_negative_values(
        q.saturating_rounding_doubling_high_mul(q.wrap32(-d << left_shift), mult)) for d in range(256)]
    while table[-1] == 0:
        table.pop()
    return tuple(table)


def _sat_shl(x: int, exponent: int) -> int:
    """SaturatingRoundingMultiplyByPOT with a positive exponent."""
    threshold = (1 << (31 - exponent)) - 1
    return q.INT32_MAX if x > threshold else q.INT32_MIN if x < -threshold else x << exponent


def _exp_quarter(a: int) -> int:
    """exp_on_interval_between_negative_one_quarter_and_0_excl: a and the result in Q0.31."""
    srdhm, rdbpot = q.saturating_rounding_doubling_high_mul, q.rounding_divide_by_pot
    constant_term, one_third = 1895147668, 715827883  # exp(-1/8), 1/3
    x = q.wrap32(a + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4_over_4 = rdbpot(srdhm(x2, x2), 2)
    poly = rdbpot(q.wrap32(srdhm(q.wrap32(x4_over_4 + x3), one_third) + x2), 1)
    return q.wrap32(constant_term + srdhm(constant_term, q.wrap32(x + poly)))


_EXP_BARREL = (1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242)  # exp(-2^k), k = -2..4


def _exp_on_negative_values(a: int) -> int:
    """gemmlowp's exp_on_negative_values: a <= 0 in Q5.26, the result in Q0.31."""
    if a == 0:
        return q.INT32_MAX
    quarter = 1 << 24
    a_mod_quarter_minus_quarter = (a & (quarter - 1)) - quarter
    result = _exp_quarter(_sat_shl(a_mod_quarter_minus_quarter, 5))
    remainder = q.wrap32(a_mod_quarter_minus_quarter - a)
    for k, multiplier in enumerate(_EXP_BARREL):
        if remainder & (1 << (24 + k)):
            result = q.saturating_rounding_doubling_high_mul(result, multiplier)
    return result


def _lut(inp: Tensor, out: Tensor, transform) -> tuple[int, ...]:
    values = np.arange(-128, 128, dtype=np.int32)
    f32 = np.float32
    dequantized = f32(inp.scale) * (values - inp.zero_point).astype(np.float32)
    with np.errstate(over="ignore"):
        transformed = transform(dequantized).astype(np.float32)
    scaled = transformed * (f32(1.0) / f32(out.scale))
    wide = scaled.astype(np.float64)  # exact; std::round = half away from zero
    rounded = np.sign(wide) * np.floor(np.abs(wide) + 0.5)
    quantized = (rounded + out.zero_point).astype(np.int64)
    return tuple(int(v) for v in np.clip(quantized, -128, 127))


def logistic_table(inp: Tensor, out: Tensor) -> tuple[int, ...]:
    """table[x + 128] = LOGISTIC(x) as the reference interpreter's int8 lookup table."""
    one = np.float32(1.0)
    return _lut(inp, out, lambda v: one / (one + np.exp(-v)))


def tanh_table(inp: Tensor, out: Tensor) -> tuple[int, ...]:
    """table[x + 128] = TANH(x) as the reference interpreter's int8 lookup table."""
    return _lut(inp, out, np.tanh)
