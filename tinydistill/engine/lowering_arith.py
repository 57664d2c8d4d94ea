"""Lowering of the int8 arithmetic ops of part 2: ADD, SUB, MUL (with broadcasting), and the
one-input ops that are a function of the int8 value alone (QUANTIZE int8→int8, RELU, RELU6,
RELU_N1_TO_1, LEAKY_RELU).

The one-input ops become the 256-entry table kernel (td_lut_s8): the table is filled
here by running the reference kernel's integer arithmetic on every int8 value, so it is
exact by construction and costs one load per element on the device.
"""

from __future__ import annotations

import math

import numpy as np

from . import quantization as q
from .ir import Model, Operator, Tensor
from .lowering import INT8_FIX, Call, ConstArray, _activation, _int8, _lower_lut, _refuse

ADD_LEFT_SHIFT = 20  # the reference's left_shift for 8-bit ADD/SUB


def _f32(x: float) -> np.float32:
    return np.float32(x)


def _broadcast(op: Operator, a: Tensor, b: Tensor, out: Tensor) -> tuple[tuple, tuple, tuple, int]:
    """Output dims and each input's element strides, extended to 4-D (0 where an input broadcasts)."""
    rank = max(len(a.shape), len(b.shape), len(out.shape))
    if rank > 4:
        raise _refuse(op, f"broadcasting over {rank} dimensions", "keep tensors at most 4-D")
    dims = (1,) * (4 - len(out.shape)) + tuple(out.shape)

    def strides(t: Tensor) -> tuple[int, ...]:
        shape = (1,) * (4 - len(t.shape)) + tuple(t.shape)
        result, step = [0] * 4, 1
        for i in range(3, -1, -1):
            if shape[i] not in (1, dims[i]):
                raise _refuse(op, f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast", INT8_FIX)
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
                raise _refuse(op, "both operands are constant", "let the converter fold constant arithmetic")
            values = tuple(int(v) for v in tensor.array().reshape(-1))
            arrays = (ConstArray("constant", "int8_t", values),)
            constant = "constant"
            items.append("constant")
        else:
            items.append(t)
    return items, arrays, (("constant", constant),)


def _binary_tensors(model: Model, op: Operator) -> tuple[Tensor, Tensor, Tensor]:
    a, b, out = model.tensor(op.inputs[0]), model.tensor(op.inputs[1]), model.tensor(op.outputs[0])
    _int8(op, a, b, out)
    return a, b, out


def _call(op: Operator, kernel: str, ptype: str, fields, arrays, items: list, macs: int) -> Call:
    return Call(op.index, op.opcode, op.layer, kernel, f"{kernel}.h", ptype, tuple(fields), arrays,
                items[0], op.outputs[0], macs, input_list=tuple(items))


def _smaller_than_one(real: float, op: Operator) -> tuple[int, int]:
    mult, shift = q.quantize_multiplier(real)
    if shift > 0:
        raise _refuse(op, "the output scale is too small for the reference ADD arithmetic", INT8_FIX)
    return mult, shift


def lower_add_sub(model: Model, op: Operator) -> Call:
    """ADD / SUB: PrepareGeneralSubOp / add.cc Prepare for int8 (SUB negates input 2's multiplier)."""
    a, b, out = _binary_tensors(model, op)
    dims, s1, s2, flat = _broadcast(op, a, b, out)
    # The reference takes max() and 2* in float (exact), divides in double.
    twice_max = float(_f32(2) * max(_f32(a.scale), _f32(b.scale)))
    m1, sh1 = _smaller_than_one(float(_f32(a.scale)) / twice_max, op)
    m2, sh2 = _smaller_than_one(float(_f32(b.scale)) / twice_max, op)
    if op.opcode == "SUB":
        m2 = -m2
    mo, sho = _smaller_than_one(twice_max / float(_f32(1 << ADD_LEFT_SHIFT) * _f32(out.scale)), op)
    act_min, act_max = _activation(op, out)
    items, arrays, const_field = _operands(model, op)
    fields = (("dims", dims), ("stride1", s1), ("stride2", s2), ("flat", flat), ("in1_offset", -a.zero_point),
              ("in2_offset", -b.zero_point), ("left_shift", ADD_LEFT_SHIFT), ("in1_mult", m1), ("in1_shift", sh1),
              ("in2_mult", m2), ("in2_shift", sh2), ("out_mult", mo), ("out_shift", sho),
              ("out_offset", out.zero_point), ("act_min", act_min), ("act_max", act_max), *const_field)
    return _call(op, "td_add_s8", "td_add_params", fields, arrays, items, out.size)


def lower_mul(model: Model, op: Operator) -> Call:
    """MUL: mul.cc Prepare (the scale product in float) and MulElementwise."""
    a, b, out = _binary_tensors(model, op)
    dims, s1, s2, flat = _broadcast(op, a, b, out)
    mult, shift = q.quantize_multiplier(float(_f32(a.scale) * _f32(b.scale) / _f32(out.scale)))
    act_min, act_max = _activation(op, out)
    items, arrays, const_field = _operands(model, op)
    fields = (("dims", dims), ("stride1", s1), ("stride2", s2), ("flat", flat), ("in1_offset", -a.zero_point),
              ("in2_offset", -b.zero_point), ("out_mult", mult), ("out_shift", shift),
              ("out_offset", out.zero_point), ("act_min", act_min), ("act_max", act_max), *const_field)
    return _call(op, "td_mul_s8", "td_mul_params", fields, arrays, items, out.size)


def _table(values) -> tuple[int, ...]:
    return tuple(int(min(max(v, -128), 127)) for v in values)


def lower_quantize(model: Model, op: Operator) -> Call:
    """QUANTIZE int8 → int8 (a requantization): Requantize with QuantizeMultiplier(in/out in double)."""
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    if inp.dtype != "int8":
        raise _refuse(op, f"QUANTIZE from {inp.dtype} inside the graph",
                      "convert with inference_input_type = tf.int8 (the C API is int8 in and out; quantize in "
                      "the caller with TD_MODEL_INPUT_SCALE / TD_MODEL_INPUT_ZERO_POINT)")
    _int8(op, inp, out)
    mult, shift = q.quantize_multiplier(float(inp.scale) / float(out.scale))
    table = _table(q.multiply_by_quantized_multiplier(x - inp.zero_point, mult, shift) + out.zero_point
                   for x in range(-128, 128))
    return _lower_lut(model, op, table)


_RELU_BOUNDS = {"RELU": (0.0, math.inf), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}


def lower_relu(model: Model, op: Operator) -> Call:
    """Standalone RELU / RELU6 / RELU_N1_TO_1: QuantizedReluX (rescale, then clamp)."""
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    _int8(op, inp, out)
    mult, shift = q.quantize_multiplier(float(_f32(inp.scale) / _f32(out.scale)))
    lo, hi = _RELU_BOUNDS[op.opcode]

    def bound(f: float) -> int:
        return out.zero_point + q.tflite_round(float(_f32(f) / _f32(out.scale)))

    act_min = max(-128, bound(lo))
    act_max = 127 if hi == math.inf else min(127, bound(hi))
    table = []
    for x in range(-128, 128):
        v = out.zero_point + q.multiply_by_quantized_multiplier(x - inp.zero_point, mult, shift)
        table.append(min(max(v, act_min), act_max))
    return _lower_lut(model, op, _table(table))


def lower_leaky_relu(model: Model, op: Operator) -> Call:
    """LEAKY_RELU: identity and alpha branches with their own multipliers (QuantizeLeakyRelu)."""
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    _int8(op, inp, out)
    alpha = _f32(op.option("alpha", 0.2))
    m_a, s_a = q.quantize_multiplier(float(_f32(inp.scale) * alpha / _f32(out.scale)))
    m_i, s_i = q.quantize_multiplier(float(_f32(inp.scale) / _f32(out.scale)))
    table = []
    for x in range(-128, 128):
        v = x - inp.zero_point
        m, s = (m_i, s_i) if v >= 0 else (m_a, s_a)
        table.append(out.zero_point + q.multiply_by_quantized_multiplier(v, m, s))
    return _lower_lut(model, op, _table(table))


HANDLERS = {
    "ADD": lower_add_sub,
    "SUB": lower_add_sub,
    "MUL": lower_mul,
    "QUANTIZE": lower_quantize,
    "RELU": lower_relu,
    "RELU6": lower_relu,
    "RELU_N1_TO_1": lower_relu,
    "LEAKY_RELU": lower_leaky_relu,
}

SUPPORTED = {
    "ADD": "int8, 4-D broadcasting, one operand may be constant; fused NONE/RELU/RELU6",
    "SUB": "int8, 4-D broadcasting, one operand may be constant; fused NONE/RELU/RELU6",
    "MUL": "int8, 4-D broadcasting, one operand may be constant; fused NONE/RELU/RELU6",
    "QUANTIZE": "int8 → int8 requantization (256-entry table); float32 → int8 on the model input is stripped "
                "(the C API takes the int8 tensor: quantize with TD_MODEL_INPUT_SCALE / _ZERO_POINT)",
    "DEQUANTIZE": "only int8 → float32 on the model output, stripped (the C API returns the int8 tensor: "
                  "real = TD_MODEL_OUTPUT_SCALE * (q - TD_MODEL_OUTPUT_ZERO_POINT))",
    "RELU": "int8 standalone (rescale and clamp, 256-entry table)",
    "RELU6": "int8 standalone (rescale and clamp, 256-entry table)",
    "RELU_N1_TO_1": "int8 standalone (rescale and clamp, 256-entry table)",
    "LEAKY_RELU": "int8, any alpha (256-entry table)",
}
