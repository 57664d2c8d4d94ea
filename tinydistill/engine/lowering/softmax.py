"""SOFTMAX int8 → int8 with the reference kernel's fixed-point exponent, tabulated per difference."""

from __future__ import annotations

from .. import tables
from ..ir import Model, Operator
from .call import Call, ConstArray
from .helpers import INT8_FIX, int8, refuse
from .registry import lowers

# The reference sums exp terms of at most 2^19 in a Q12.19 int32: 4096 of them overflow.
MAX_DEPTH = 4095


@lowers("SOFTMAX", support="int8 → int8 (output zero point -128, scale 1/256), any beta; the reference's exp "
                           "of each input difference tabulated at generation time (up to 1 KB of flash)")
def lower_softmax(model: Model, op: Operator) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    int8(op, inp, out)
    if out.zero_point != -128 or abs(out.scale - 1 / 256) > 1e-8 * (1 / 256):
        raise refuse(op, "int8 softmax output must have zero point -128 and scale 1/256", INT8_FIX)
    depth = inp.shape[-1]
    if depth > MAX_DEPTH:
        raise refuse(op, f"{depth} classes: the reference's fixed-point sum of exponents overflows beyond "
                         f"{MAX_DEPTH}", "split the softmax over fewer classes")
    beta, scale = float(op.option("beta", 1.0)), float(inp.scale)
    _, left_shift, _ = tables.softmax_params(beta, scale)
    if not 0 <= left_shift <= 31:
        raise refuse(op, f"beta × input scale = {beta * scale:.3g} gives the input rescaling a shift of "
                         f"{left_shift}, outside [0, 31]", "check the softmax input's quantization scale, or "
                         "convert the model again")
    table = tables.softmax_exp_table(beta, scale)
    fields = (("rows", inp.size // depth), ("depth", depth), ("exp_table", "exp_table"), ("table_size", len(table)))
    return Call(op.index, op.opcode, op.layer, "td_softmax_s8", "td_softmax_s8.h", "td_softmax_params", fields,
                (ConstArray("exp_table", "int32_t", table),), op.inputs[0], op.outputs[0], inp.size)
