"""One-input ops that are a function of the int8 value alone: LOGISTIC, TANH, QUANTIZE int8→int8,
RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU.

Each becomes the 256-entry table kernel (td_lut_s8): the table is filled here by running
the reference kernel's integer arithmetic on every int8 value, so it is exact by
construction and costs one load per element on the device.
"""

from __future__ import annotations

import math

from .. import quantization as q
from .. import tables
from ..ir import Model, Operator
from .call import Call, ConstArray
from .helpers import f32, int8, refuse
from .registry import lowers


def _lut_call(model: Model, op: Operator, table: tuple[int, ...]) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    fields = (("size", inp.size), ("table", "table"))
    return Call(op.index, op.opcode, op.layer, "td_lut_s8", "td_lut_s8.h", "td_lut_params", fields,
                (ConstArray("table", "int8_t", table),), op.inputs[0], op.outputs[0], inp.size)


def _clamp_table(values) -> tuple[int, ...]:
    return tuple(int(min(max(v, -128), 127)) for v in values)


@lowers("LOGISTIC", support="int8 (256-entry table of the reference kernel)")
def lower_logistic(model: Model, op: Operator) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    int8(op, inp, out)
    return _lut_call(model, op, tables.logistic_table(inp, out))


@lowers("TANH", support="int8 (256-entry table of the reference kernel)")
def lower_tanh(model: Model, op: Operator) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    int8(op, inp, out)
    return _lut_call(model, op, tables.tanh_table(inp, out))


@lowers("QUANTIZE", support="int8 → int8 requantization (256-entry table); float32 → int8 on the model input is "
                             "stripped (the C API takes the int8 tensor: quantize with TD_MODEL_INPUT_SCALE / "
                             "_ZERO_POINT)")
def lower_quantize(model: Model, op: Operator) -> Call:
    """QUANTIZE int8 → int8 (a requantization): Requantize with QuantizeMultiplier(in/out in double)."""
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    if inp.dtype != "int8":
        raise refuse(op, f"QUANTIZE from {inp.dtype} inside the graph",
                     "convert with inference_input_type = tf.int8 (the C API is int8 in and out; quantize in "
                     "the caller with TD_MODEL_INPUT_SCALE / TD_MODEL_INPUT_ZERO_POINT)")
    int8(op, inp, out)
    mult, shift = q.quantize_multiplier(float(inp.scale) / float(out.scale))
    table = _clamp_table(q.multiply_by_quantized_multiplier(x - inp.zero_point, mult, shift) + out.zero_point
                         for x in range(-128, 128))
    return _lut_call(model, op, table)


_RELU_BOUNDS = {"RELU": (0.0, math.inf), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}


@lowers("RELU", "RELU6", "RELU_N1_TO_1", support="int8 standalone (rescale and clamp, 256-entry table)")
def lower_relu(model: Model, op: Operator) -> Call:
    """Standalone RELU / RELU6 / RELU_N1_TO_1: QuantizedReluX (rescale, then clamp)."""
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    int8(op, inp, out)
    mult, shift = q.quantize_multiplier(float(f32(inp.scale) / f32(out.scale)))
    lo, hi = _RELU_BOUNDS[op.opcode]

    def bound(f: float) -> int:
        return out.zero_point + q.tflite_round(float(f32(f) / f32(out.scale)))

    act_min = max(-128, bound(lo))
    act_max = 127 if hi == math.inf else min(127, bound(hi))
    table = []
    for x in range(-128, 128):
        v = out.zero_point + q.multiply_by_quantized_multiplier(x - inp.zero_point, mult, shift)
        table.append(min(max(v, act_min), act_max))
    return _lut_call(model, op, _clamp_table(table))


@lowers("LEAKY_RELU", support="int8, any alpha (256-entry table)")
def lower_leaky_relu(model: Model, op: Operator) -> Call:
    """LEAKY_RELU: identity and alpha branches with their own multipliers (QuantizeLeakyRelu)."""
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    int8(op, inp, out)
    alpha = f32(op.option("alpha", 0.2))
    m_a, s_a = q.quantize_multiplier(float(f32(inp.scale) * alpha / f32(out.scale)))
    m_i, s_i = q.quantize_multiplier(float(f32(inp.scale) / f32(out.scale)))
    table = []
    for x in range(-128, 128):
        v = x - inp.zero_point
        m, s = (m_i, s_i) if v >= 0 else (m_a, s_a)
        table.append(out.zero_point + q.multiply_by_quantized_multiplier(v, m, s))
    return _lut_call(model, op, _clamp_table(table))
