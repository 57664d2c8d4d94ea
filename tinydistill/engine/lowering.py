"""Lower each IR operator to one kernel call with generation-time parameters.

Dispatch is on the TFLite opcode through HANDLERS (one small function per op).
Every multiplier, shift, folded bias, interior range and table is computed here
("Prepare" in Python); the C kernels only do the integer "Eval".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedModel
from . import quantization as q
from . import tables
from .ir import Model, Operator, Tensor
from .fold import hint
from .planner import ALIAS_OPS

INT8_FIX = ("convert the model to full int8: converter.optimizations = [tf.lite.Optimize.DEFAULT], a "
            "representative_dataset, target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8], "
            "inference_input_type = inference_output_type = tf.int8")


@dataclass(frozen=True)
class ConstArray:
    """A constant C array of one op (flash)."""

    name: str  # suffix, e.g. "weights"
    ctype: str  # "int8_t" / "int32_t"
    values: tuple[int, ...]


@dataclass(frozen=True)
class Call:
    """One kernel call: `kernel(&params, input, output)`."""

    op: int
    opcode: str
    layer: str | None
    kernel: str
    header: str
    ptype: str
    fields: tuple[tuple[str, object], ...]  # value: int, or ConstArray name (str) for pointers
    arrays: tuple[ConstArray, ...]
    input: int
    output: int
    macs: int = 0
    # Kernels of several inputs/outputs take C arrays of pointers: tensor indices, or the
    # name of a pointer field of the params (a constant operand). None: the single input/output.
    input_list: tuple[int | str, ...] | None = None
    output_list: tuple[int, ...] | None = None
    # The kernel has an inline `<kernel>_impl` that model.c specializes with constant parameters.
    specialize: bool = False


def _where(op: Operator) -> str:
    return f"{op.opcode} (op {op.index}{', layer ' + repr(op.layer) if op.layer else ''})"


def _refuse(op: Operator, what: str, fix: str) -> UnsupportedModel:
    return UnsupportedModel(f"{_where(op)}: {what}; {fix}")


def _int8(op: Operator, *tensors: Tensor) -> None:
    for t in tensors:
        if t.dtype != "int8" or t.quant is None:
            raise _refuse(op, f"tensor {t.name!r} is {t.dtype}{'' if t.quant else ' without quantization'}, "
                              "the C engine runs int8 only", INT8_FIX)


def _activation(op: Operator, out: Tensor) -> tuple[int, int]:
    act = op.option("fused_activation_function", "NONE")
    if act not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
        raise _refuse(op, f"fused activation {act} is not supported", "use ReLU, ReLU6 or no fused activation")
    return q.activation_range(act, out.scale, out.zero_point)


def _nhwc(op: Operator, t: Tensor) -> tuple[int, int, int]:
    if len(t.shape) != 4 or t.shape[0] != 1:
        raise _refuse(op, f"tensor {t.name!r} has shape {list(t.shape)}, expected [1, H, W, C]",
                      "convert with a fixed batch of 1 (an input signature [1, W, C])")
    return t.shape[1], t.shape[2], t.shape[3]


def _padding(padding: str, stride: int, dil: int, in_size: int, k: int, out_size: int) -> int:
    effective = (k - 1) * dil + 1
    total = max((out_size - 1) * stride + effective - in_size, 0)
    return total // 2 if padding == "SAME" else 0


def _interior(stride: int, dil: int, pad: int, in_size: int, k: int, out_size: int) -> tuple[int, int]:
    """Outputs [lo, hi) whose receptive field lies inside the input."""
    lo = min(-(-pad // stride), out_size)
    last = in_size - 1 - (k - 1) * dil + pad
    hi = last // stride + 1 if last >= 0 else 0
    hi = max(lo, min(hi, out_size))
    return lo, hi


def _bias(model: Model, op: Operator, n: int) -> np.ndarray:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        b = model.tensor(op.inputs[2])
        if b.dtype != "int32" or not b.is_constant:
            raise _refuse(op, f"bias {b.name!r} is {b.dtype}", INT8_FIX)
        return b.array().astype(np.int64).reshape(-1)
    return np.zeros(n, dtype=np.int64)


def _per_channel_multipliers(inp: Tensor, w: Tensor, out: Tensor, n: int) -> tuple[list[int], list[int]]:
    """PopulateConvolutionQuantizationParams: double(in) * double(w[c]) / double(out)."""
    scales = w.quant.scale if len(w.quant.scale) > 1 else w.quant.scale * n
    pairs = [q.quantize_multiplier(float(inp.scale) * float(s) / float(out.scale)) for s in scales]
    return [m for m, _ in pairs], [s for _, s in pairs]


def _fast_requant(weights: np.ndarray, bias: np.ndarray, in_offset: int, shifts: list[int]) -> int:
    """1 when every shift is <= 0 and no accumulator can reach 2^30 (td_requant_fast_s8's domain)."""
    per_channel = np.abs(weights.reshape(len(bias), -1)).sum(axis=1) * (128 + abs(in_offset)) + np.abs(bias)
    return int(all(s <= 0 for s in shifts) and int(per_channel.max(initial=0)) < (1 << 30))


def _i32(values) -> tuple[int, ...]:
    out = tuple(int(v) for v in values)
    if any(v < q.INT32_MIN or v > q.INT32_MAX for v in out):
        raise OverflowError("a folded constant does not fit int32")
    return out


def _weights_symmetric(op: Operator, w: Tensor) -> None:
    _int8(op, w)
    if not w.is_constant:
        raise _refuse(op, "the weights are not constant", "keep weights as constants (no weight inputs)")
    if any(z != 0 for z in w.quant.zero_point):
        raise _refuse(op, "int8 weights with a non-zero zero point", INT8_FIX)


def _conv_window(op: Operator, in_h: int, in_w: int, k_h: int, k_w: int, out_h: int,
                 out_w: int) -> tuple[tuple[str, int], ...]:
    """A convolution's strides, dilations, padding and interior (no padding tap) output range, as fields."""
    sh, sw = op.option("stride_h", 1), op.option("stride_w", 1)
    dh, dw = op.option("dilation_h_factor", 1), op.option("dilation_w_factor", 1)
    padding = op.option("padding", "VALID")
    pad_t, pad_l = _padding(padding, sh, dh, in_h, k_h, out_h), _padding(padding, sw, dw, in_w, k_w, out_w)
    oy_lo, oy_hi = _interior(sh, dh, pad_t, in_h, k_h, out_h)
    ox_lo, ox_hi = _interior(sw, dw, pad_l, in_w, k_w, out_w)
    return (("stride_h", sh), ("stride_w", sw), ("dil_h", dh), ("dil_w", dw), ("pad_top", pad_t),
            ("pad_left", pad_l), ("oy_lo", oy_lo), ("oy_hi", oy_hi), ("ox_lo", ox_lo), ("ox_hi", ox_hi))


def _conv_requant(model: Model, op: Operator, inp: Tensor, w: Tensor, out: Tensor, weights: np.ndarray,
                  out_c: int) -> tuple[tuple[tuple[str, object], ...], tuple[ConstArray, ...]]:
    """A convolution's offsets, clamp and per-channel requantization fields, and its constant arrays.

    `weights` are laid out [out_c, ...taps]: the input offset is folded into each channel's bias."""
    bias = _bias(model, op, out_c)
    in_offset = -inp.zero_point
    folded = bias + in_offset * weights.reshape(out_c, -1).sum(axis=1)
    mult, shift = _per_channel_multipliers(inp, w, out, out_c)
    act_min, act_max = _activation(op, out)
    fields = (("in_offset", in_offset), ("out_offset", out.zero_point), ("act_min", act_min), ("act_max", act_max),
              ("fast_requant", _fast_requant(weights, bias, in_offset, shift)),
              ("weights", "weights"), ("bias", "bias"), ("bias_folded", "bias_folded"), ("mult", "mult"),
              ("shift", "shift"))
    arrays = (ConstArray("weights", "int8_t", tuple(int(v) for v in weights.reshape(-1))),
              ConstArray("bias", "int32_t", _i32(bias)), ConstArray("bias_folded", "int32_t", _i32(folded)),
              ConstArray("mult", "int32_t", _i32(mult)), ConstArray("shift", "int32_t", _i32(shift)))
    return fields, arrays


def _conv_operands(model: Model, op: Operator):
    """Input, filter and output of a (depthwise) convolution, checked, with their NHWC and kernel sizes."""
    inp, w = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    _int8(op, inp, out)
    _weights_symmetric(op, w)
    return inp, w, out, _nhwc(op, inp), _nhwc(op, out), (w.shape[1], w.shape[2])


def lower_conv_2d(model: Model, op: Operator) -> Call:
    inp, w, out, (in_h, in_w, in_c), (out_h, out_w, out_c), (k_h, k_w) = _conv_operands(model, op)
    if w.shape[3] != in_c:
        raise _refuse(op, "grouped convolution (filter depth differs from the input's)",
                      "use groups=1 or a DepthwiseConv1D")
    window = _conv_window(op, in_h, in_w, k_h, k_w, out_h, out_w)
    weights = w.array().astype(np.int64)
    requant, arrays = _conv_requant(model, op, inp, w, out, weights, out_c)
    fields = (("in_h", in_h), ("in_w", in_w), ("in_c", in_c), ("out_h", out_h), ("out_w", out_w),
              ("out_c", out_c), ("k_h", k_h), ("k_w", k_w), *window, *requant)
    return Call(op.index, op.opcode, op.layer, "td_conv_s8", "td_conv_s8.h", "td_conv_params", fields, arrays,
                op.inputs[0], op.outputs[0], out_h * out_w * out_c * k_h * k_w * in_c, specialize=True)


def lower_depthwise_conv_2d(model: Model, op: Operator) -> Call:
    inp, w, out, (in_h, in_w, in_c), (out_h, out_w, out_c), (k_h, k_w) = _conv_operands(model, op)
    mult_depth = out_c // in_c
    if mult_depth * in_c != out_c or w.shape[3] != out_c:
        raise _refuse(op, "output channels are not a multiple of the input channels",
                      "use a depth multiplier that divides the output channels")
    window = _conv_window(op, in_h, in_w, k_h, k_w, out_h, out_w)
    # [1, kh, kw, oc] → [oc, kh, kw]: each channel's taps contiguous.
    weights = w.array().astype(np.int64).reshape(k_h, k_w, out_c).transpose(2, 0, 1)
    requant, arrays = _conv_requant(model, op, inp, w, out, weights, out_c)
    fields = (("in_h", in_h), ("in_w", in_w), ("in_c", in_c), ("out_h", out_h), ("out_w", out_w),
              ("out_c", out_c), ("depth_mult", mult_depth), ("k_h", k_h), ("k_w", k_w), *window, *requant)
    return Call(op.index, op.opcode, op.layer, "td_depthwise_conv_s8", "td_depthwise_conv_s8.h",
                "td_depthwise_conv_params", fields, arrays, op.inputs[0], op.outputs[0],
                out_h * out_w * out_c * k_h * k_w, specialize=True)


def lower_fully_connected(model: Model, op: Operator) -> Call:
    inp, w = model.tensor(op.inputs[0]), model.tensor(op.inputs[1])
    out = model.tensor(op.outputs[0])
    _int8(op, inp, out)
    _weights_symmetric(op, w)
    if op.option("weights_format", 0) != 0:
        raise _refuse(op, "shuffled weights format", "convert with the default weights format")
    out_c, in_c = w.shape
    rows = inp.size // in_c
    weights = w.array().astype(np.int64)
    bias = _bias(model, op, out_c)
    folded = bias - inp.zero_point * weights.sum(axis=1)
    # BUILTIN_REF (TF 2.21) requantizes FULLY_CONNECTED with the int64 single-rounding
    # MultiplyByQuantizedMultiplier, per-tensor and per-channel alike (measured, see tests).
    if w.quant.per_channel:
        mult, shift = _per_channel_multipliers(inp, w, out, out_c)
    else:
        # GetQuantizedConvolutionMultipler: the scale product is taken in float32.
        product = float(np.float32(inp.scale) * np.float32(w.scale))
        m, s = q.quantize_multiplier(product / float(out.scale))
        mult, shift = [m] * out_c, [s] * out_c
    act_min, act_max = _activation(op, out)
    fields = (("rows", rows), ("in_c", in_c), ("out_c", out_c), ("out_offset", out.zero_point),
              ("act_min", act_min), ("act_max", act_max), ("single_rounding", 1),
              ("weights", "weights"), ("bias_folded", "bias_folded"), ("mult", "mult"), ("shift", "shift"))
    arrays = (ConstArray("weights", "int8_t", tuple(int(v) for v in weights.reshape(-1))),
              ConstArray("bias_folded", "int32_t", _i32(folded)), ConstArray("mult", "int32_t", _i32(mult)),
              ConstArray("shift", "int32_t", _i32(shift)))
    return Call(op.index, op.opcode, op.layer, "td_fully_connected_s8", "td_fully_connected_s8.h",
                "td_fully_connected_params", fields, arrays, op.inputs[0], op.outputs[0], rows * in_c * out_c,
                specialize=True)


def lower_mean(model: Model, op: Operator) -> Call:
    inp, axis_t, out = model.tensor(op.inputs[0]), model.tensor(op.inputs[1]), model.tensor(op.outputs[0])
    _int8(op, inp, out)
    if not axis_t.is_constant:
        raise _refuse(op, "the reduction axes are not constant", "reduce over fixed axes")
    rank = len(inp.shape)
    axes = sorted({int(a) % rank for a in axis_t.array().reshape(-1)})
    if axes != list(range(axes[0], axes[-1] + 1)):
        raise _refuse(op, f"reduction over non-adjacent axes {axes}", "reduce over adjacent axes (a global pool)")
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


def _lower_pool(model: Model, op: Operator, kernel: str) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    _int8(op, inp, out)
    in_h, in_w, c = _nhwc(op, inp)
    out_h, out_w, _ = _nhwc(op, out)
    if inp.quant.scale != out.quant.scale or inp.quant.zero_point != out.quant.zero_point:
        raise _refuse(op, "input and output quantization differ", INT8_FIX)
    f_h, f_w = op.option("filter_height", 1), op.option("filter_width", 1)
    sh, sw = op.option("stride_h", 1), op.option("stride_w", 1)
    padding = op.option("padding", "VALID")
    act_min, act_max = _activation(op, out)
    fields = (("in_h", in_h), ("in_w", in_w), ("channels", c), ("out_h", out_h), ("out_w", out_w),
              ("f_h", f_h), ("f_w", f_w), ("stride_h", sh), ("stride_w", sw),
              ("pad_top", _padding(padding, sh, 1, in_h, f_h, out_h)),
              ("pad_left", _padding(padding, sw, 1, in_w, f_w, out_w)), ("act_min", act_min), ("act_max", act_max))
    return Call(op.index, op.opcode, op.layer, kernel, "td_pool_s8.h", "td_pool_params", fields, (),
                op.inputs[0], op.outputs[0], out.size * f_h * f_w)


def lower_average_pool_2d(model: Model, op: Operator) -> Call:
    return _lower_pool(model, op, "td_avg_pool_s8")


def lower_max_pool_2d(model: Model, op: Operator) -> Call:
    return _lower_pool(model, op, "td_max_pool_s8")


def lower_softmax(model: Model, op: Operator) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    _int8(op, inp, out)
    if out.zero_point != -128 or abs(out.scale - 1 / 256) > 1e-8 * (1 / 256):
        raise _refuse(op, "int8 softmax output must have zero point -128 and scale 1/256", INT8_FIX)
    depth = inp.shape[-1]
    mult, left_shift, diff_min = tables.softmax_params(float(op.option("beta", 1.0)), float(inp.scale))
    fields = (("rows", inp.size // depth), ("depth", depth), ("input_mult", mult), ("input_left_shift", left_shift),
              ("diff_min", diff_min))
    return Call(op.index, op.opcode, op.layer, "td_softmax_s8", "td_softmax_s8.h", "td_softmax_params", fields, (),
                op.inputs[0], op.outputs[0], inp.size)


def _lower_lut(model: Model, op: Operator, table: tuple[int, ...]) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    fields = (("size", inp.size), ("table", "table"))
    return Call(op.index, op.opcode, op.layer, "td_lut_s8", "td_lut_s8.h", "td_lut_params", fields,
                (ConstArray("table", "int8_t", table),), op.inputs[0], op.outputs[0], inp.size)


def lower_logistic(model: Model, op: Operator) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    _int8(op, inp, out)
    return _lower_lut(model, op, tables.logistic_table(inp, out))


def lower_tanh(model: Model, op: Operator) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    _int8(op, inp, out)
    return _lower_lut(model, op, tables.tanh_table(inp, out))


HANDLERS: dict[str, Callable[[Model, Operator], Call]] = {
    "CONV_2D": lower_conv_2d,
    "DEPTHWISE_CONV_2D": lower_depthwise_conv_2d,
    "FULLY_CONNECTED": lower_fully_connected,
    "MEAN": lower_mean,
    "AVERAGE_POOL_2D": lower_average_pool_2d,
    "MAX_POOL_2D": lower_max_pool_2d,
    "SOFTMAX": lower_softmax,
    "LOGISTIC": lower_logistic,
    "TANH": lower_tanh,
}

# What `codegen --list-ops` prints: op → the options and limits supported.
SUPPORTED = {
    "CONV_2D": "int8 per-channel; strides, dilation, SAME/VALID; fused NONE/RELU/RELU6",
    "DEPTHWISE_CONV_2D": "int8 per-channel; depth multiplier, strides, dilation, SAME/VALID; fused NONE/RELU/RELU6",
    "FULLY_CONNECTED": "int8 per-tensor or per-channel weights; fused NONE/RELU/RELU6",
    "MEAN": "int8 over adjacent axes (global average pooling)",
    "AVERAGE_POOL_2D": "int8, SAME/VALID, fused NONE/RELU/RELU6",
    "MAX_POOL_2D": "int8, SAME/VALID, fused NONE/RELU/RELU6",
    "SOFTMAX": "int8 → int8 (output zero point -128, scale 1/256), any beta",
    "LOGISTIC": "int8 (256-entry table of the reference kernel)",
    "TANH": "int8 (256-entry table of the reference kernel)",
    "RESHAPE": "no data movement (an alias)",
    "EXPAND_DIMS": "no data movement (an alias)",
    "SQUEEZE": "no data movement (an alias)",
}


def lower(model: Model) -> list[Call]:
    """One Call per computing op, in order; aliases produce none. Raises UnsupportedModel."""
    calls = []
    for op in model.operators:
        if op.opcode in ALIAS_OPS:
            if model.tensor(op.inputs[0]).dtype != model.tensor(op.outputs[0]).dtype:
                raise _refuse(op, "changes the dtype", INT8_FIX)
            continue
        handler = HANDLERS.get(op.opcode)
        if handler is None:
            raise _refuse(op, "this op is not supported by the C engine", hint(op.opcode) or
                          f"replace the layer it comes from with one of: {', '.join(sorted(SUPPORTED))} "
                          "(see `tinydistill codegen --list-ops`)")
        calls.append(handler(model, op))
    for t in (*model.inputs, *model.outputs):
        tensor = model.tensor(t)
        if tensor.dtype != "int8":
            raise UnsupportedModel(f"model input/output {tensor.name!r} is {tensor.dtype}; {INT8_FIX}")
    return calls


# Part 2: the arithmetic and data-movement ops register their handlers here.
from . import lowering_arith, lowering_layout  # noqa: E402  (they import this module's helpers)

for _part in (lowering_arith, lowering_layout):
    HANDLERS.update(_part.HANDLERS)
    SUPPORTED.update(_part.SUPPORTED)
