"""ADD, SUB and MUL with 4-D broadcasting; one operand may be constant."""

from __future__ import annotations

from .. import quantization as q
from ..ir import Model, Operator, Tensor
from .call import Call, ConstArray
from .helpers import INT8_FIX, f32, fused_activation, int8, refuse
from .registry import lowers

ADD_LEFT_SHIFT = 20  # the reference's left_shift for 8-bit ADD/SUB


def _broadcast(op: Operator, a: Tensor, b: Tensor, out: Tensor) -> tuple[tuple, tuple, tuple, int]:
    """Output dims and each input's element strides, extended to 4-D (0 where an input broadcasts)."""
    rank = max(len(a.shape), len(b.shape), len(out.shape))
    if rank > 4:
        raise refuse(op, f"broadcasting over {rank} dimensions", "keep tensors at most 4-D")
    dims = (1,) * (4 - len(out.shape)) + tuple(out.shape)

    def strides(t: Tensor) -> tuple[int, ...]:
        shape = (1,) * (4 - len(t.shape)) + tuple(t.shape)
        result, step = [0] * 4, 1
        for i in range(3, -1, -1):
            if shape[i] not in (1, dims[i]):
                raise refuse(op, f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast", INT8_FIX)
            result[i] = step if shape[i] == dims[i] and dims[i] > 1 else 0
            step *= shape[i]
        return tuple(result)

    flat = int(a.shape == b.shape == out.shape or (a.size == b.size == out.size))
    return dims, strides(a), strides(b), flat


def _operands(model: Model, op: Operator) -> tuple[list, tuple[ConstArray, ...], tuple[tuple[str, object], ...]]:
    """The two input operands as tensor indices, a constant one as the params field `constant`."""
    items: list = []
    arrays: tuple[ConstArray, ...] = ()
    constant: object = 0  # a null pointer in C
    for t in op.inputs[:2]:
        tensor = model.tensor(t)
        if tensor.is_constant:
            if arrays:
                raise refuse(op, "both operands are constant", "let the converter fold constant arithmetic")
            values = tuple(int(v) for v in tensor.array().reshape(-1))
            arrays = (ConstArray("constant", "int8_t", values),)
            constant = "constant"
            items.append("constant")
        else:
            items.append(t)
    return items, arrays, (("constant", constant),)


def _binary_tensors(model: Model, op: Operator) -> tuple[Tensor, Tensor, Tensor]:
    a, b, out = model.tensor(op.inputs[0]), model.tensor(op.inputs[1]), model.tensor(op.outputs[0])
    int8(op, a, b, out)
    return a, b, out


def _call(op: Operator, kernel: str, ptype: str, fields, arrays, items: list, macs: int) -> Call:
    return Call(op.index, op.opcode, op.layer, kernel, f"{kernel}.h", ptype, tuple(fields), arrays,
                items[0], op.outputs[0], macs, input_list=tuple(items))


def _smaller_than_one(real: float, op: Operator) -> tuple[int, int]:
    mult, shift = q.quantize_multiplier(real)
    if shift > 0:
        raise refuse(op, "the output scale is too small for the reference ADD arithmetic", INT8_FIX)
    return mult, shift


@lowers("ADD", "SUB", support="int8, 4-D broadcasting, one operand may be constant; fused NONE/RELU/RELU6")
def lower_add_sub(model: Model, op: Operator) -> Call:
    """ADD / SUB: PrepareGeneralSubOp / add.cc Prepare for int8 (SUB negates input 2's multiplier)."""
    a, b, out = _binary_tensors(model, op)
    dims, s1, s2, flat = _broadcast(op, a, b, out)
    # The reference takes max() and 2* in float (exact), divides in double.
    twice_max = float(f32(2) * max(f32(a.scale), f32(b.scale)))
    m1, sh1 = _smaller_than_one(float(f32(a.scale)) / twice_max, op)
    m2, sh2 = _smaller_than_one(float(f32(b.scale)) / twice_max, op)
    if op.opcode == "SUB":
        m2 = -m2
    mo, sho = _smaller_than_one(twice_max / float(f32(1 << ADD_LEFT_SHIFT) * f32(out.scale)), op)
    act_min, act_max = fused_activation(op, out)
    items, arrays, const_field = _operands(model, op)
    fields = (("dims", dims), ("stride1", s1), ("stride2", s2), ("flat", flat), ("in1_offset", -a.zero_point),
              ("in2_offset", -b.zero_point), ("left_shift", ADD_LEFT_SHIFT), ("in1_mult", m1), ("in1_shift", sh1),
              ("in2_mult", m2), ("in2_shift", sh2), ("out_mult", mo), ("out_shift", sho),
              ("out_offset", out.zero_point), ("act_min", act_min), ("act_max", act_max), *const_field)
    return _call(op, "td_add_s8", "td_add_params", fields, arrays, items, out.size)


@lowers("MUL", support="int8, 4-D broadcasting, one operand may be constant; fused NONE/RELU/RELU6")
def lower_mul(model: Model, op: Operator) -> Call:
    """MUL: mul.cc Prepare (the scale product in float) and MulElementwise."""
    a, b, out = _binary_tensors(model, op)
    dims, s1, s2, flat = _broadcast(op, a, b, out)
    mult, shift = q.quantize_multiplier(float(f32(a.scale) * f32(b.scale) / f32(out.scale)))
    act_min, act_max = fused_activation(op, out)
    items, arrays, const_field = _operands(model, op)
    fields = (("dims", dims), ("stride1", s1), ("stride2", s2), ("flat", flat), ("in1_offset", -a.zero_point),
              ("in2_offset", -b.zero_point), ("out_mult", mult), ("out_shift", shift),
              ("out_offset", out.zero_point), ("act_min", act_min), ("act_max", act_max), *const_field)
    return _call(op, "td_mul_s8", "td_mul_params", fields, arrays, items, out.size)
