"""Verify a model before lowering: every tensor, index, shape, option and quantization
parameter the generated C relies on, with the rules of the TFLite reference kernels' Prepare.

A model from a colleague, a zoo or a converter may be truncated, corrupt or hostile; the
lowerings and kernels assume a consistent graph (a RESHAPE keeps its element count, a
convolution's output extent follows from stride, padding and dilation, a bias has one value
per output channel...). `verify_graph` checks what holds for every op (run on the model as
read), `verify_ops` the rules of each op (run after folding, on what is lowered) and
`verify_calls` the kernels' parameter ranges (multipliers and shifts td_requant.h handles).
A model that breaks a rule is refused with UnsupportedModel (exit 2) naming the tensor or op
and the rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from ..errors import UnsupportedModel
from .ir import ITEMSIZE, Model, Operator, Tensor
from .lowering.call import Call
from .lowering.helpers import where

# No tensor or arena beyond 64 MB: far above any microcontroller, and every element index
# and byte offset of the generated C then fits an int32.
MAX_BYTES = 1 << 26
# A filter, stride or dilation beyond this is no sensor model and would overflow the
# kernels' int32 index arithmetic (offsets of the form o * stride + k * dilation - pad).
MAX_EXTENT = 1 << 16
MAX_RANK = 6
ACC_LIMIT = 1 << 31  # int32 accumulators of the kernels
# What the requantization helpers in td_requant.h handle: td_rdbpot shifts right by at
# most 31, td_mbqm_single by 31 - shift >= 1; multipliers are QuantizeMultiplier significands.
SHIFT_RANGE = (-31, 30)
ZERO_POINT_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (0, 0), "int32": (0, 0), "int64": (0, 0)}
FIX = "the model file is malformed or was edited; convert it again from the Keras model"

# Inputs (min, max) and outputs (min, max) of the ops the engine takes; None: any number.
ARITY: dict[str, tuple[int, int | None, int, int | None]] = {
    "CONV_2D": (2, 3, 1, 1), "DEPTHWISE_CONV_2D": (2, 3, 1, 1), "FULLY_CONNECTED": (2, 3, 1, 1),
    "AVERAGE_POOL_2D": (1, 1, 1, 1), "MAX_POOL_2D": (1, 1, 1, 1), "SOFTMAX": (1, 1, 1, 1),
    "LOGISTIC": (1, 1, 1, 1), "TANH": (1, 1, 1, 1), "QUANTIZE": (1, 1, 1, 1), "DEQUANTIZE": (1, 1, 1, 1),
    "RELU": (1, 1, 1, 1), "RELU6": (1, 1, 1, 1), "RELU_N1_TO_1": (1, 1, 1, 1), "LEAKY_RELU": (1, 1, 1, 1),
    "ADD": (2, 2, 1, 1), "SUB": (2, 2, 1, 1), "MUL": (2, 2, 1, 1), "MEAN": (2, 2, 1, 1),
    "REDUCE_MAX": (2, 2, 1, 1), "RESHAPE": (1, 2, 1, 1), "EXPAND_DIMS": (2, 2, 1, 1), "SQUEEZE": (1, 1, 1, 1),
    "CONCATENATION": (1, None, 1, 1), "PAD": (2, 2, 1, 1), "PADV2": (2, 3, 1, 1), "STRIDED_SLICE": (3, 4, 1, 1),
    "SPLIT": (2, 2, 1, None), "SPLIT_V": (3, 3, 1, None), "UNPACK": (1, 1, 1, None), "SHAPE": (1, 1, 1, 1),
    "PACK": (1, None, 1, 1), "SPACE_TO_BATCH_ND": (3, 3, 1, 1), "BATCH_TO_SPACE_ND": (3, 3, 1, 1),
    "GATHER": (2, 2, 1, 1), "REDUCE_PROD": (2, 2, 1, 1), "SUM": (2, 2, 1, 1), "CAST": (1, 1, 1, 1),
    "FLOOR_DIV": (2, 2, 1, 1),
}
# Optional inputs the ops may leave out (index -1).
OPTIONAL = {"CONV_2D": {2}, "DEPTHWISE_CONV_2D": {2}, "FULLY_CONNECTED": {2}, "RESHAPE": {1}, "PADV2": {2}}


def _op_error(op: Operator, rule: str) -> UnsupportedModel:
    return UnsupportedModel(f"{where(op)}: {rule}; {FIX}")


def _tensor_error(t: Tensor, rule: str) -> UnsupportedModel:
    return UnsupportedModel(f"tensor {t.name!r} (index {t.index}): {rule}; {FIX}")


# ---------------------------------------------------------------- the graph


def _check_tensor(t: Tensor) -> None:
    if t.dtype not in ITEMSIZE:
        raise _tensor_error(t, f"dtype {t.dtype} is not one the engine reads")
    if len(t.shape) > MAX_RANK:
        raise _tensor_error(t, f"{len(t.shape)} dimensions (at most {MAX_RANK})")
    if any(d < 1 for d in t.shape):
        raise _tensor_error(t, f"shape {list(t.shape)} has a dimension below 1")
    if math.prod(t.shape) * ITEMSIZE[t.dtype] > MAX_BYTES:
        raise _tensor_error(t, f"shape {list(t.shape)} needs more than {MAX_BYTES >> 20} MB")
    if t.is_constant and len(t.data) != t.nbytes:
        raise _tensor_error(t, f"its buffer holds {len(t.data)} bytes, its shape and dtype need {t.nbytes}")
    q = t.quant
    if q is None:
        return
    if len(q.zero_point) != len(q.scale):
        raise _tensor_error(t, f"{len(q.scale)} scales but {len(q.zero_point)} zero points")
    for s in q.scale:
        if not (math.isfinite(s) and s > 0):
            raise _tensor_error(t, f"quantization scale {s!r} is not finite and positive")
    lo, hi = ZERO_POINT_RANGE.get(t.dtype, (-(1 << 31), (1 << 31) - 1))
    if t.dtype == "int32" and not t.is_constant:
        lo, hi = -(1 << 31), (1 << 31) - 1  # int32 shape arithmetic carries no meaningful zero point
    for z in q.zero_point:
        if not lo <= z <= hi:
            raise _tensor_error(t, f"zero point {z} outside [{lo}, {hi}] for {t.dtype}")
    if q.per_channel:
        if not t.is_constant:
            raise _tensor_error(t, "activations are quantized per tensor; this one has one scale per channel")
        if not 0 <= q.dimension < len(t.shape) or t.shape[q.dimension] != len(q.scale):
            raise _tensor_error(t, f"{len(q.scale)} per-channel scales along dimension {q.dimension} of "
                                   f"shape {list(t.shape)}")


def _check_arity(model: Model, op: Operator) -> None:
    n = len(model.tensors)
    for pos, t in enumerate(op.inputs):
        if t == -1 and pos in OPTIONAL.get(op.opcode, ()):
            continue
        if not 0 <= t < n:
            raise _op_error(op, f"input {pos} names tensor {t}, the model has {n}")
    for pos, t in enumerate(op.outputs):
        if not 0 <= t < n:
            raise _op_error(op, f"output {pos} names tensor {t}, the model has {n}")
    arity = ARITY.get(op.opcode)
    if arity is None:
        return  # lowering refuses the op by name
    lo_in, hi_in, lo_out, hi_out = arity
    if not lo_in <= len(op.inputs) <= (hi_in if hi_in is not None else len(op.inputs)):
        raise _op_error(op, f"{len(op.inputs)} inputs (TFLite's {op.opcode} takes "
                            f"{lo_in}{'' if hi_in == lo_in else '..' + str(hi_in or 'n')})")
    if not lo_out <= len(op.outputs) <= (hi_out if hi_out is not None else len(op.outputs)):
        raise _op_error(op, f"{len(op.outputs)} outputs")


def verify_graph(model: Model) -> None:
    """Indices, buffers, shapes and quantization of every tensor an op or the graph uses, and
    the dataflow: each tensor written once, by an op before its readers, never a constant or input."""
    n = len(model.tensors)
    for kind, ids in (("input", model.inputs), ("output", model.outputs)):
        for t in ids:
            if not 0 <= t < n:
                raise UnsupportedModel(f"the graph's {kind} names tensor {t}, the model has {n}; {FIX}")
    for op in model.operators:
        _check_arity(model, op)
    used = {t for op in model.operators for t in (*op.inputs, *op.outputs) if t >= 0}
    for t in sorted(used | set(model.inputs) | set(model.outputs)):
        _check_tensor(model.tensors[t])
    available = set(model.inputs) | {t.index for t in model.tensors if t.is_constant}
    for op in model.operators:
        for t in op.inputs:
            if t >= 0 and t not in available:
                raise _op_error(op, f"reads tensor {model.tensors[t].name!r} before any op writes it")
        for t in op.outputs:
            tensor = model.tensors[t]
            if tensor.is_constant or t in model.inputs:
                raise _op_error(op, f"writes {'the constant' if tensor.is_constant else 'the model input'} "
                                    f"{tensor.name!r}")
            if t in available:
                raise _op_error(op, f"writes tensor {tensor.name!r}, which another op already wrote")
            available.add(t)
    for t in model.outputs:
        if t not in available:
            raise UnsupportedModel(f"the graph's output {model.tensors[t].name!r} is never written; {FIX}")


# ---------------------------------------------------------------- each op's Prepare


def _t(model: Model, index: int) -> Tensor:
    return model.tensors[index]


def _require(op: Operator, ok: bool, rule: str) -> None:
    if not ok:
        raise _op_error(op, rule)


def _shape(op: Operator, t: Tensor, rank: int, what: str) -> tuple[int, ...]:
    _require(op, len(t.shape) == rank, f"{what} {t.name!r} has shape {list(t.shape)}, expected {rank}-D")
    return t.shape


def _int_option(op: Operator, name: str, default: int, lo: int, hi: int) -> int:
    value = op.option(name, default)
    _require(op, isinstance(value, (int, np.integer)) and not isinstance(value, bool) and lo <= value <= hi,
             f"option {name} = {value!r} outside [{lo}, {hi}]")
    return int(value)


def _padding(op: Operator) -> str:
    padding = op.option("padding", "VALID")
    _require(op, padding in ("SAME", "VALID"), f"padding {padding!r} is neither SAME nor VALID")
    return padding


def _out_extent(padding: str, size: int, k: int, stride: int, dil: int) -> int:
    """ComputeOutSize of the reference kernels."""
    effective = (k - 1) * dil + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size - effective + stride) // stride


def _window(op: Operator, in_hw, k_hw, out_hw, dilated: bool) -> None:
    padding = _padding(op)
    strides = (_int_option(op, "stride_h", 1, 1, MAX_EXTENT), _int_option(op, "stride_w", 1, 1, MAX_EXTENT))
    dils = ((_int_option(op, "dilation_h_factor", 1, 1, MAX_EXTENT),
             _int_option(op, "dilation_w_factor", 1, 1, MAX_EXTENT)) if dilated else (1, 1))
    for axis, size, k, s, d, out in zip("hw", in_hw, k_hw, strides, dils, out_hw):
        _require(op, 1 <= k and (k - 1) * d + 1 <= MAX_EXTENT, f"filter {axis} extent {k} (dilation {d}) too large")
        expected = _out_extent(padding, size, k, s, d)
        _require(op, expected >= 1, f"a {padding} window of {k} (dilation {d}) does not fit input {axis} {size}")
        _require(op, out == expected, f"output {axis} is {out}; stride {s}, dilation {d}, {padding} padding "
                                      f"and filter {k} over {size} give {expected}")


def _bias(model: Model, op: Operator, out_c: int) -> np.ndarray:
    if len(op.inputs) < 3 or op.inputs[2] < 0:
        return np.zeros(out_c, dtype=np.int64)
    b = _t(model, op.inputs[2])
    _require(op, b.dtype == "int32" and b.is_constant, f"bias {b.name!r} is not a constant int32 tensor")
    _require(op, b.size == out_c, f"bias {b.name!r} has {b.size} values for {out_c} output channels")
    return b.array().astype(np.int64).reshape(-1)


def _weights(model: Model, op: Operator, index: int, channels: int, dimension: int) -> np.ndarray:
    w = _t(model, index)
    _require(op, w.is_constant and w.dtype == "int8" and w.quant is not None,
             f"weights {w.name!r} are not constant quantized int8")
    n = len(w.quant.scale)
    _require(op, n == 1 or (n == channels and w.quant.dimension == dimension),
             f"weights {w.name!r} have {n} scales along dimension {w.quant.dimension} for {channels} output channels")
    return w.array().astype(np.int64)


def _accumulators(op: Operator, taps: np.ndarray, bias: np.ndarray, in_zero_point: int) -> None:
    """Every int32 accumulator (bias + sum of weight × (input - zero point)) stays in range."""
    bound = np.abs(taps).sum(axis=1) * (128 + abs(in_zero_point)) + np.abs(bias)
    _require(op, int(bound.max(initial=0)) < ACC_LIMIT, "weights and bias can overflow the int32 accumulator")


def _conv(model: Model, op: Operator) -> None:
    inp, out = _t(model, op.inputs[0]), _t(model, op.outputs[0])
    w = _t(model, op.inputs[1])
    _, h, wd, c = _shape(op, inp, 4, "input")
    _, oh, ow, oc = _shape(op, out, 4, "output")
    _require(op, inp.shape[0] == 1 and out.shape[0] == 1, "batch is not 1")
    fo, kh, kw, fi = _shape(op, w, 4, "filter")
    depthwise = op.opcode == "DEPTHWISE_CONV_2D"
    if depthwise:
        _require(op, fo == 1 and fi == oc, f"filter {list(w.shape)} is not [1, KH, KW, {oc}]")
        _require(op, oc % c == 0, f"{oc} output channels are not a multiple of {c} input channels")
    else:
        _require(op, fo == oc, f"filter has {fo} output channels, the output {oc}")
        _require(op, fi >= 1 and c % fi == 0, f"filter depth {fi} does not divide {c} input channels")
    _window(op, (h, wd), (kh, kw), (oh, ow), dilated=True)
    weights = _weights(model, op, op.inputs[1], oc, 3 if depthwise else 0)
    taps = weights.reshape(kh * kw, oc).T if depthwise else weights.reshape(oc, -1)
    _accumulators(op, taps, _bias(model, op, oc), inp.zero_point)


def _fully_connected(model: Model, op: Operator) -> None:
    inp, out = _t(model, op.inputs[0]), _t(model, op.outputs[0])
    w = _t(model, op.inputs[1])
    oc, ic = _shape(op, w, 2, "weights")
    _require(op, inp.size % ic == 0, f"input of {inp.size} values is not rows of {ic}")
    _require(op, out.size == inp.size // ic * oc and out.shape[-1:] == (oc,),
             f"output {list(out.shape)} is not {inp.size // ic} rows of {oc}")
    weights = _weights(model, op, op.inputs[1], oc, 0)
    _accumulators(op, weights, _bias(model, op, oc), inp.zero_point)


def _pool(model: Model, op: Operator) -> None:
    inp, out = _t(model, op.inputs[0]), _t(model, op.outputs[0])
    _, h, wd, c = _shape(op, inp, 4, "input")
    _, oh, ow, oc = _shape(op, out, 4, "output")
    _require(op, inp.shape[0] == out.shape[0] == 1 and c == oc, f"{list(inp.shape)} → {list(out.shape)}")
    kh = _int_option(op, "filter_height", 1, 1, MAX_EXTENT)
    kw = _int_option(op, "filter_width", 1, 1, MAX_EXTENT)
    _require(op, kh * kw * 255 < ACC_LIMIT, "the pooling window can overflow the int32 sum")
    _window(op, (h, wd), (kh, kw), (oh, ow), dilated=False)


def _same_shape(model: Model, op: Operator) -> None:
    inp, out = _t(model, op.inputs[0]), _t(model, op.outputs[0])
    _require(op, inp.shape == out.shape, f"output {list(out.shape)} differs from input {list(inp.shape)}")


def _softmax(model: Model, op: Operator) -> None:
    _same_shape(model, op)
    beta = op.option("beta", 1.0)
    _require(op, isinstance(beta, float) and math.isfinite(beta) and beta > 0, f"beta {beta!r} is not positive")
    _require(op, len(_t(model, op.inputs[0]).shape) >= 1, "a scalar input")


def _leaky_relu(model: Model, op: Operator) -> None:
    _same_shape(model, op)
    alpha = op.option("alpha", 0.2)
    _require(op, isinstance(alpha, float) and math.isfinite(alpha), f"alpha {alpha!r} is not finite")


def _broadcast(model: Model, op: Operator) -> None:
    a, b, out = _t(model, op.inputs[0]), _t(model, op.inputs[1]), _t(model, op.outputs[0])
    rank = max(len(a.shape), len(b.shape))
    pa = (1,) * (rank - len(a.shape)) + a.shape
    pb = (1,) * (rank - len(b.shape)) + b.shape
    _require(op, all(x == y or 1 in (x, y) for x, y in zip(pa, pb)),
             f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast")
    shape = tuple(max(x, y) for x, y in zip(pa, pb))
    _require(op, out.shape == shape, f"output {list(out.shape)} is not the broadcast shape {list(shape)}")


def _axes(model: Model, op: Operator, index: int, rank: int) -> list[int]:
    t = _t(model, index)
    _require(op, t.is_constant and t.dtype in ("int32", "int64"), f"axes {t.name!r} are not constant integers")
    axes = [int(a) for a in t.array().reshape(-1)]
    _require(op, all(-rank <= a < rank for a in axes), f"axes {axes} out of range for rank {rank}")
    return sorted({a % rank for a in axes})


def _reduce(model: Model, op: Operator) -> None:
    inp, out = _t(model, op.inputs[0]), _t(model, op.outputs[0])
    _require(op, len(inp.shape) >= 1, "a scalar input")
    axes = _axes(model, op, op.inputs[1], len(inp.shape))
    _require(op, bool(axes), "no reduction axes")
    n = math.prod(inp.shape[a] for a in axes)
    _require(op, out.size * n == inp.size, f"output {list(out.shape)} is not {list(inp.shape)} reduced over {axes}")
    _require(op, n * 255 < ACC_LIMIT, f"a reduction over {n} values can overflow the int32 sum")


def _alias(model: Model, op: Operator) -> None:
    inp, out = _t(model, op.inputs[0]), _t(model, op.outputs[0])
    _require(op, inp.size == out.size, f"output {list(out.shape)} has {out.size} elements, input "
                                       f"{list(inp.shape)} {inp.size}")
    _require(op, inp.dtype == out.dtype, f"changes the dtype from {inp.dtype} to {out.dtype}")


def _concatenation(model: Model, op: Operator) -> None:
    out = _t(model, op.outputs[0])
    rank = len(out.shape)
    axis = _int_option(op, "axis", 0, -rank, rank - 1) % rank if rank else 0
    total = 0
    for i in op.inputs:
        t = _t(model, i)
        _require(op, len(t.shape) == rank and all(d == e for k, (d, e) in enumerate(zip(t.shape, out.shape))
                                                  if k != axis),
                 f"input {list(t.shape)} does not concatenate into {list(out.shape)} along axis {axis}")
        total += t.shape[axis]
    _require(op, rank >= 1 and total == out.shape[axis], f"inputs add up to {total} along axis {axis}, the output "
                                                         f"has {out.shape[axis] if rank else 0}")


def _pad(model: Model, op: Operator) -> None:
    inp, out = _t(model, op.inputs[0]), _t(model, op.outputs[0])
    p = _t(model, op.inputs[1])
    rank = len(inp.shape)
    _require(op, p.is_constant and p.dtype in ("int32", "int64") and p.shape == (rank, 2),
             f"paddings {p.name!r} are not a constant [{rank}, 2] integer tensor")
    pads = p.array().astype(np.int64)
    expected = tuple(int(d + a + b) for d, (a, b) in zip(inp.shape, pads))
    _require(op, (pads >= 0).all() and out.shape == expected, f"output {list(out.shape)}, input {list(inp.shape)} "
                                                              f"padded by {pads.tolist()}")
    if op.opcode == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        v = _t(model, op.inputs[2])
        _require(op, v.is_constant and v.dtype == "int8" and v.size == 1, "the pad value is not one constant int8")


def _strided_slice(model: Model, op: Operator) -> None:
    inp = _t(model, op.inputs[0])
    lengths = set()
    for i in op.inputs[1:]:
        t = _t(model, i)
        _require(op, t.is_constant and t.dtype in ("int32", "int64") and len(t.shape) <= 1,
                 f"{t.name!r} is not a constant integer vector")
        lengths.add(t.size)
    _require(op, len(lengths) == 1 and lengths.pop() <= len(inp.shape),
             "begin, end and strides differ in length or exceed the input's rank")


def _split_outputs(model: Model, op: Operator, inp: Tensor, axis: int, sizes: list[int]) -> None:
    _require(op, len(sizes) == len(op.outputs), f"{len(sizes)} parts for {len(op.outputs)} outputs")
    _require(op, all(s >= 0 for s in sizes) and sum(sizes) == inp.shape[axis],
             f"parts {sizes} do not add up to {inp.shape[axis]}")
    for o, size in zip(op.outputs, sizes):
        t = _t(model, o)
        _require(op, t.size == inp.size // inp.shape[axis] * size,
                 f"output {t.name!r} {list(t.shape)} is not a part of {size} of {list(inp.shape)}")


def _axis_value(model: Model, op: Operator, index: int, rank: int) -> int:
    t = _t(model, index)
    _require(op, t.is_constant and t.dtype in ("int32", "int64") and t.size == 1, "the axis is not one constant")
    axis = int(t.array().reshape(-1)[0])
    _require(op, -rank <= axis < rank, f"axis {axis} out of range for rank {rank}")
    return axis % rank


def _split(model: Model, op: Operator) -> None:
    inp = _t(model, op.inputs[1])
    axis = _axis_value(model, op, op.inputs[0], len(inp.shape))
    n = len(op.outputs)
    _require(op, inp.shape[axis] % n == 0, f"{inp.shape[axis]} does not split into {n} equal parts")
    _split_outputs(model, op, inp, axis, [inp.shape[axis] // n] * n)


def _split_v(model: Model, op: Operator) -> None:
    inp = _t(model, op.inputs[0])
    axis = _axis_value(model, op, op.inputs[2], len(inp.shape))
    s = _t(model, op.inputs[1])
    _require(op, s.is_constant and s.dtype in ("int32", "int64"), "split sizes are not constant integers")
    sizes = [int(v) for v in s.array().reshape(-1)]
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = inp.shape[axis] - (sum(sizes) + 1)
    _split_outputs(model, op, inp, axis, sizes)


def _unpack(model: Model, op: Operator) -> None:
    inp = _t(model, op.inputs[0])
    rank = len(inp.shape)
    axis = _int_option(op, "axis", 0, -rank, rank - 1) % rank if rank else 0
    _require(op, rank >= 1, "a scalar input")
    _split_outputs(model, op, inp, axis, [1] * inp.shape[axis])


RULES: dict[str, Callable[[Model, Operator], None]] = {
    "CONV_2D": _conv, "DEPTHWISE_CONV_2D": _conv, "FULLY_CONNECTED": _fully_connected,
    "AVERAGE_POOL_2D": _pool, "MAX_POOL_2D": _pool, "SOFTMAX": _softmax, "LEAKY_RELU": _leaky_relu,
    **{k: _same_shape for k in ("LOGISTIC", "TANH", "QUANTIZE", "RELU", "RELU6", "RELU_N1_TO_1")},
    "ADD": _broadcast, "SUB": _broadcast, "MUL": _broadcast, "MEAN": _reduce, "REDUCE_MAX": _reduce,
    "RESHAPE": _alias, "EXPAND_DIMS": _alias, "SQUEEZE": _alias, "CONCATENATION": _concatenation,
    "PAD": _pad, "PADV2": _pad, "STRIDED_SLICE": _strided_slice, "SPLIT": _split, "SPLIT_V": _split_v,
    "UNPACK": _unpack,
}


# The inputs that may carry one scale per channel: weights and bias of the convolutions.
PER_CHANNEL_INPUTS = {"CONV_2D": {1, 2}, "DEPTHWISE_CONV_2D": {1, 2}, "FULLY_CONNECTED": {1, 2}}


def verify_ops(model: Model) -> None:
    """Each op's Prepare rules (shapes recomputed from the options, per-channel counts, element
    counts, accumulator ranges), on the folded model that lowering sees."""
    verify_graph(model)
    for op in model.operators:
        allowed = PER_CHANNEL_INPUTS.get(op.opcode, set())
        for pos, t in enumerate(op.inputs):
            tensor = model.tensors[t] if t >= 0 else None
            if tensor is not None and tensor.quant is not None and tensor.quant.per_channel and pos not in allowed:
                raise _op_error(op, f"input {tensor.name!r} has one scale per channel; {op.opcode} takes one scale")
        rule = RULES.get(op.opcode)
        if rule is not None:
            rule(model, op)


# ---------------------------------------------------------------- the kernels' parameters


def _ints(value) -> Iterable[int]:
    return value if isinstance(value, tuple) else (value,)


def verify_calls(calls: Iterable[Call]) -> None:
    """Multipliers and shifts within what td_requant.h handles (a shift outside [-31, 30] would be UB in C)."""
    for call in calls:
        arrays = {a.name: a.values for a in call.arrays}
        for name, value in call.fields:
            values = arrays.get(value, ()) if isinstance(value, str) else _ints(value)
            if name.endswith("shift") and name != "left_shift":
                lo, hi = SHIFT_RANGE
                bad = [v for v in values if not lo <= v <= hi]
                if bad:
                    raise UnsupportedModel(
                        f"{call.opcode} (op {call.op}): its scales give a requantization shift of {bad[0]}, outside "
                        f"[{lo}, {hi}] (the ratio of input and output scales is out of the int8 kernels' range); "
                        "check the tensors' quantization scales, or convert the model again")
            elif name.endswith("mult"):
                bad = [v for v in values if not -(1 << 31) < v < (1 << 31)]
                if bad:
                    raise UnsupportedModel(f"{call.opcode} (op {call.op}): multiplier {bad[0]} does not fit int32; "
                                           f"{FIX}")


def verify_arena(size: int) -> None:
    if size > MAX_BYTES:
        raise UnsupportedModel(f"the activations need an arena of {size} bytes (more than {MAX_BYTES >> 20} MB); "
                               "no microcontroller holds that: shrink the model's inputs or layers")
