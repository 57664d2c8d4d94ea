"""Generation-time parameters and tables of the activation kernels.

LOGISTIC and TANH int8 run, in the reference interpreter, through a 256-entry
lookup table that Prepare fills in float32 (dequantize, transform, round half
away from zero, add the zero point, clamp); we fill it the same way here.
SOFTMAX int8 runs the fixed-point reference, whose input scaling is computed
here as PreprocessSoftmaxScaling / CalculateInputRadius do.
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
    radius = ((1 << SOFTMAX_DIFF_INTEGER_BITS) - 1) * (1 << (31 - SOFTMAX_DIFF_INTEGER_BITS)) / (1 << left_shift)
    return mult, left_shift, -int(math.floor(radius))


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
