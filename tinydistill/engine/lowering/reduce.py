"""MEAN and REDUCE_MAX over adjacent axes (global pooling)."""

from __future__ import annotations

import math

from .. import quantization as q
from ..ir import Model, Operator
from .call import Call
from .helpers import const_ints, int8, refuse, same_quant
from .registry import lowers


@lowers("MEAN", support="int8 over adjacent axes (global average pooling)")
def lower_mean(model: Model, op: Operator) -> Call:
    inp, axis_t, out = model.tensor(op.inputs[0]), model.tensor(op.inputs[1]), model.tensor(op.outputs[0])
    int8(op, inp, out)
    if not axis_t.is_constant:
        raise refuse(op, "the reduction axes are not constant", "reduce over fixed axes")
    rank = len(inp.shape)
    axes = sorted({int(a) % rank for a in axis_t.array().reshape(-1)})
    if axes != list(range(axes[0], axes[-1] + 1)):
        raise refuse(op, f"reduction over non-adjacent axes {axes}", "reduce over adjacent axes (a global pool)")
    outer = math.prod(inp.shape[: axes[0]])
    n = math.prod(inp.shape[axes[0]: axes[-1] + 1])
    inner = math.prod(inp.shape[axes[-1] + 1:])
    mult, shift = q.quantize_multiplier(float(inp.scale) / float(out.scale))
    # QuantizedMeanOrSum folds 1/n into the multiplier: shift by floor(log2 n), capped.
    extra = min(n.bit_length() - 1, 32, 31 + shift)
    mult, shift = (mult << extra) // n, shift - extra
    # |sum(x) - n*zp| <= 255 n < 2^30 for any plausible n: only the shift decides.
    fast = int(shift <= 0 and 255 * n < (1 << 30))
    fields = (("outer", outer), ("reduce", n), ("inner", inner), ("sum_offset", -n * inp.zero_point),
              ("mult", mult), ("shift", shift), ("out_offset", out.zero_point), ("fast_requant", fast))
    return Call(op.index, op.opcode, op.layer, "td_mean_s8", "td_mean_s8.h", "td_mean_params", fields, (),
                op.inputs[0], op.outputs[0], inp.size, specialize=True)


@lowers("REDUCE_MAX", support="int8 over adjacent axes (global max pooling)")
def lower_reduce_max(model: Model, op: Operator) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    int8(op, inp, out)
    same_quant(op, inp, out)
    rank = len(inp.shape)
    axes = sorted({int(a) % rank for a in const_ints(model, op, op.inputs[1], "reduction axes").reshape(-1)})
    if not axes or axes != list(range(axes[0], axes[-1] + 1)):
        raise refuse(op, f"reduction over non-adjacent axes {axes}", "reduce over adjacent axes (a global pool)")
    fields = (("outer", math.prod(inp.shape[: axes[0]])), ("reduce", math.prod(inp.shape[axes[0]: axes[-1] + 1])),
              ("inner", math.prod(inp.shape[axes[-1] + 1:])))
    return Call(op.index, op.opcode, op.layer, "td_reduce_max_s8", "td_reduce_max_s8.h", "td_reduce_max_params",
                fields, (), op.inputs[0], op.outputs[0], inp.size)
