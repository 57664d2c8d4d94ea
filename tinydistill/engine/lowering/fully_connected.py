"""FULLY_CONNECTED: folded bias and the single-rounding requantization of BUILTIN_REF."""

from __future__ import annotations

import numpy as np

from .. import quantization as q
from ..ir import Model, Operator
from .call import Call, ConstArray
from .helpers import bias_values, fused_activation, i32, int8, per_channel_multipliers, refuse, weights_symmetric
from .registry import lowers


def _fast_requant(folded: np.ndarray, weights: np.ndarray, shift: list[int], out_offset: int) -> int:
    """1 when the Armv7E-M kernel may requantize from the product's high word with the output
    offset in its rounding constant: every shift <= -2 (the rounding constant 2^(30 - shift) is
    a multiple of 2^32, so the low word cannot carry) and high + 2^(r-1) + out_offset 2^r stays
    in int32 (r = -1 - shift, |high| <= |acc| / 2 as multipliers are < 2^31)."""
    if not len(shift) or max(shift) > -2:
        return 0
    acc = np.abs(folded) + 128 * np.abs(weights).sum(axis=1)
    r = -1 - np.asarray(shift, dtype=np.int64)
    worst = acc // 2 + 1 + (1 << (r - 1)) + abs(out_offset) * (1 << r)
    return int(int(worst.max()) < (1 << 31))


def paired_weights(weights: np.ndarray) -> np.ndarray | None:
    """The Armv7E-M kernel's second copy of [out_c][in_c] int8 weights (td_fully_connected_s8.h,
    `weights_pairs`): rows in pairs, per four inputs the words (w[2p][i] + 128, w[2p+1][i]) for
    inputs i = 4q, 4q+2 and then 4q+1, 4q+3; None unless in_c and out_c are multiples of 4."""
    out_c, in_c = weights.shape
    if out_c % 4 or in_c % 4 or 2 * in_c + 4 >= 4096:
        return None
    w = weights.astype(np.int64).reshape(out_c // 2, 2, in_c // 4, 4)  # [pair][row][quad][input]
    w = w[:, :, :, [0, 2, 1, 3]].reshape(out_c // 2, 2, in_c // 4, 2, 2)  # [pair][row][quad][word][lane]
    first = ((w[:, 0] + 128) & 0xFF).astype(np.uint8).view(np.int8).astype(np.int64)  # unsigned low bytes
    pairs = np.stack([first, w[:, 1]], axis=-1)  # [pair][quad][word][lane][byte]
    return pairs.reshape(-1)


def rows8(weights: np.ndarray, folded: np.ndarray) -> np.ndarray | None:
    """The Armv7E-M kernel's rows for eight inputs (td_fully_connected_s8.h, `rows8`): per output,
    its folded bias and its weights as int16 lane pairs (w[i], w[i + 2]), i = 0, 1, 4, 5; None
    unless in_c == 8."""
    out_c, in_c = weights.shape
    if in_c != 8:
        return None
    w = weights.astype(np.int64)
    lanes = [(w[:, i] & 0xFFFF) | ((w[:, i + 2] & 0xFFFF) << 16) for i in (0, 1, 4, 5)]
    rows = np.stack([np.asarray(folded, dtype=np.int64), *lanes], axis=1).reshape(-1)
    return np.where(rows >= 1 << 31, rows - (1 << 32), rows)


@lowers("FULLY_CONNECTED", support="int8 per-tensor or per-channel weights; fused NONE/RELU/RELU6")
def lower_fully_connected(model: Model, op: Operator) -> Call:
    inp, w = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    int8(op, inp, out)
    weights_symmetric(op, w)
    if op.option("weights_format", 0) != 0:
        raise refuse(op, "shuffled weights format", "convert with the default weights format")
    out_c, in_c = w.shape
    rows = inp.size // in_c
    weights = w.array().astype(np.int64)
    bias = bias_values(model, op, out_c)
    folded = bias - inp.zero_point * weights.sum(axis=1)
    # BUILTIN_REF (TF 2.21) requantizes FULLY_CONNECTED with the int64 single-rounding
    # MultiplyByQuantizedMultiplier, per-tensor and per-channel alike (measured, see tests).
    if w.quant.per_channel:
        mult, shift = per_channel_multipliers(inp, w, out, out_c)
    else:
        # GetQuantizedConvolutionMultipler: the scale product is taken in float32.
        product = float(np.float32(inp.scale) * np.float32(w.scale))
        m, s = q.quantize_multiplier(product / float(out.scale))
        mult, shift = [m] * out_c, [s] * out_c
    act_min, act_max = fused_activation(op, out)
    fast = _fast_requant(folded, weights, list(shift), out.zero_point)
    # One multiplier and shift for every channel (per-tensor weights): the kernel takes them
    # as constants of the params, which model.c's specialized copy folds into the code.
    uniform = int(fast and len(set(mult)) == 1 and len(set(shift)) == 1)
    right = -1 - int(shift[0]) if uniform else 0
    fields = (("rows", rows), ("in_c", in_c), ("out_c", out_c), ("out_offset", out.zero_point),
              ("act_min", act_min), ("act_max", act_max), ("single_rounding", 1), ("fast_requant", fast),
              ("uniform", uniform), ("mult_all", int(mult[0]) if uniform else 0), ("right_all", right),
              ("round_all", (1 << (right - 1)) + (out.zero_point << right) if uniform else 0),
              ("weights", "weights"), ("bias_folded", "bias_folded"), ("mult", "mult"), ("shift", "shift"))
    pairs = paired_weights(weights)
    if pairs is not None:
        fields += (("weights_pairs", "weights_pairs"),)
    arrays = (ConstArray("weights", "int8_t", tuple(int(v) for v in weights.reshape(-1))),
              ConstArray("bias_folded", "int32_t", i32(folded)), ConstArray("mult", "int32_t", i32(mult)),
              ConstArray("shift", "int32_t", i32(shift)))
    if pairs is not None:
        arrays += (ConstArray("weights_pairs", "int8_t", tuple(int(v) for v in pairs)),)
    short = rows8(weights, folded)
    if short is not None:
        fields += (("rows8", "rows8"),)
        arrays += (ConstArray("rows8", "int32_t", i32(short)),)
    return Call(op.index, op.opcode, op.layer, "td_fully_connected_s8", "td_fully_connected_s8.h",
                "td_fully_connected_params", fields, arrays, op.inputs[0], op.outputs[0], rows * in_c * out_c,
                specialize=True, dsp_fields=("weights_pairs", "rows8"))
