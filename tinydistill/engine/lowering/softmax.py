"""SOFTMAX int8 → int8 with the reference kernel's fixed-point exponent."""

from __future__ import annotations

from .. import tables
from ..ir import Model, Operator
from .call import Call
from .helpers import INT8_FIX, int8, refuse
from .registry import lowers


@lowers("SOFTMAX", support="int8 → int8 (output zero point -128, scale 1/256), any beta")
def lower_softmax(model: Model, op: Operator) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    int8(op, inp, out)
    if out.zero_point != -128 or abs(out.scale - 1 / 256) > 1e-8 * (1 / 256):
        raise refuse(op, "int8 softmax output must have zero point -128 and scale 1/256", INT8_FIX)
    depth = inp.shape[-1]
    mult, left_shift, diff_min = tables.softmax_params(float(op.option("beta", 1.0)), float(inp.scale))
    fields = (("rows", inp.size // depth), ("depth", depth), ("input_mult", mult), ("input_left_shift", left_shift),
              ("diff_min", diff_min))
    return Call(op.index, op.opcode, op.layer, "td_softmax_s8", "td_softmax_s8.h", "td_softmax_params", fields, (),
                op.inputs[0], op.outputs[0], inp.size)
