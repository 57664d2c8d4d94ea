"""FULLY_CONNECTED: folded bias and the single-rounding requantization of BUILTIN_REF."""

from __future__ import annotations

import numpy as np

from .. import quantization as q
from ..ir import Model, Operator
from .call import Call, ConstArray
from .helpers import bias_values, fused_activation, i32, int8, per_channel_multipliers, refuse, weights_symmetric
from .registry import lowers


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
    fields = (("rows", rows), ("in_c", in_c), ("out_c", out_c), ("out_offset", out.zero_point),
              ("act_min", act_min), ("act_max", act_max), ("single_rounding", 1),
              ("weights", "weights"), ("bias_folded", "bias_folded"), ("mult", "mult"), ("shift", "shift"))
    arrays = (ConstArray("weights", "int8_t", tuple(int(v) for v in weights.reshape(-1))),
              ConstArray("bias_folded", "int32_t", i32(folded)), ConstArray("mult", "int32_t", i32(mult)),
              ConstArray("shift", "int32_t", i32(shift)))
    return Call(op.index, op.opcode, op.layer, "td_fully_connected_s8", "td_fully_connected_s8.h",
                "td_fully_connected_params", fields, arrays, op.inputs[0], op.outputs[0], rows * in_c * out_c,
                specialize=True)
