"""Lowering of the int8 data-movement ops of part 2 and REDUCE_MAX.

CONCATENATION, PAD/PADV2, STRIDED_SLICE, SPLIT, SPLIT_V and UNPACK move values without
arithmetic (int8 inputs and outputs share scale and zero point, as the reference
kernels require). Each becomes strided region copies whose start, extents and strides
are computed here for the static batch-1 shapes; a region is 9 int32 (start, dims[4],
strides[4]) as td_slice_s8.h describes.
"""

from __future__ import annotations

import math

import numpy as np

from .ir import Model, Operator, Tensor
from .lowering import INT8_FIX, Call, ConstArray, _int8, _refuse

MAX_RANK = 4


def _shape4(op: Operator, t: Tensor) -> tuple[int, ...]:
    if len(t.shape) > MAX_RANK:
        raise _refuse(op, f"tensor {t.name!r} has {len(t.shape)} dimensions", "keep tensors at most 4-D")
    return (1,) * (MAX_RANK - len(t.shape)) + tuple(t.shape)


def _strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    out, step = [], 1
    for d in reversed(shape):
        out.append(step)
        step *= d
    return tuple(reversed(out))


def _region(start: int, dims, strides) -> tuple[int, ...]:
    return (int(start), *(int(d) for d in dims), *(int(s) for s in strides))


def _same_quant(op: Operator, a: Tensor, b: Tensor) -> None:
    if a.quant.scale != b.quant.scale or a.quant.zero_point != b.quant.zero_point:
        raise _refuse(op, f"{a.name!r} and {b.name!r} are quantized differently", INT8_FIX)


def _const(model: Model, op: Operator, index: int, what: str) -> np.ndarray:
    t = model.tensor(index)
    if not t.is_constant:
        raise _refuse(op, f"the {what} are not constant", "use fixed slice bounds, paddings and axes")
    return t.array().astype(np.int64)


def _axis(op: Operator, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise _refuse(op, f"axis {axis} out of range for rank {rank}", INT8_FIX)
    return axis % rank + (MAX_RANK - rank)


def _regions_call(op: Operator, kernel: str, ptype: str, regions: list[tuple[int, ...]], source, outputs,
                  inputs=None, extra=()) -> Call:
    values = tuple(v for r in regions for v in r)
    fields = (("count", len(regions)), ("regions", "regions"), *extra)
    return Call(op.index, op.opcode, op.layer, kernel, f"{kernel}.h", ptype, fields,
                (ConstArray("regions", "int32_t", values),), source, outputs[0], 0,
                input_list=tuple(inputs) if inputs is not None else None,
                output_list=tuple(outputs) if inputs is None else None)


def lower_concatenation(model: Model, op: Operator) -> Call:
    out = model.tensor(op.outputs[0])
    ins = [model.tensor(i) for i in op.inputs]
    _int8(op, out, *ins)
    if op.option("fused_activation_function", "NONE") != "NONE":
        raise _refuse(op, "a fused activation on CONCATENATION", "apply the activation before concatenating")
    for t in ins:
        _same_quant(op, t, out)
        if t.is_constant:
            raise _refuse(op, "a constant input", "concatenate computed tensors only")
    axis = _axis(op, int(op.option("axis", 0)), len(out.shape))
    out4 = _shape4(op, out)
    strides = _strides(out4)
    regions, offset = [], 0
    for t in ins:
        t4 = _shape4(op, t)
        regions.append(_region(offset * strides[axis], t4, strides))
        offset += t4[axis]
    if offset != out4[axis]:
        raise _refuse(op, "input extents do not add up to the output's", INT8_FIX)
    return _regions_call(op, "td_concat_s8", "td_concat_params", regions, op.inputs[0], [op.outputs[0]],
                         inputs=op.inputs)


def lower_pad(model: Model, op: Operator) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    _int8(op, inp, out)
    _same_quant(op, inp, out)
    pads = _const(model, op, op.inputs[1], "paddings").reshape(-1, 2)
    if (pads < 0).any():
        raise _refuse(op, "negative padding", "crop with a slice instead")
    pad_value = out.zero_point  # PAD pads with real 0
    if op.opcode == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        pad_value = int(_const(model, op, op.inputs[2], "pad value").reshape(-1)[0])
    in4, out4 = _shape4(op, inp), _shape4(op, out)
    lead = MAX_RANK - len(pads)
    befores = [0] * lead + [int(p) for p in pads[:, 0]]
    strides = _strides(out4)
    region = _region(sum(b * s for b, s in zip(befores, strides)), in4, strides)
    fields = (("out_size", out.size), ("pad_value", pad_value), ("region", "region"))
    return Call(op.index, op.opcode, op.layer, "td_pad_s8", "td_pad_s8.h", "td_pad_params", fields,
                (ConstArray("region", "int32_t", region),), op.inputs[0], op.outputs[0], 0)


def _slice_dim(op: Operator, dim: int, b: int, e: int, s: int, begin_masked: bool, end_masked: bool,
               shrink: bool) -> tuple[int, int, int]:
    """(start, count, step) of one dimension, as StridedSlice resolves begin/end/masks."""
    if s == 0:
        raise _refuse(op, "a stride of 0", INT8_FIX)
    if shrink:
        idx = b + dim if b < 0 else b
        if not 0 <= idx < dim:
            raise _refuse(op, f"index {b} out of range {dim}", INT8_FIX)
        return idx, 1, 1
    picked = range(*slice(None if begin_masked else b, None if end_masked else e, s).indices(dim))
    return (picked.start if len(picked) else 0), len(picked), s


def lower_strided_slice(model: Model, op: Operator) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    _int8(op, inp, out)
    _same_quant(op, inp, out)
    if op.option("ellipsis_mask", 0) or op.option("new_axis_mask", 0):
        raise _refuse(op, "ellipsis or new-axis masks", "index with explicit begin/end per dimension")
    begin = _const(model, op, op.inputs[1], "begin indices").reshape(-1)
    end = _const(model, op, op.inputs[2], "end indices").reshape(-1)
    steps = _const(model, op, op.inputs[3], "strides").reshape(-1) if len(op.inputs) > 3 else np.ones_like(begin)
    if op.option("offset", False):
        end = begin + end
    rank = len(inp.shape)
    bm, em, sm = op.option("begin_mask", 0), op.option("end_mask", 0), op.option("shrink_axis_mask", 0)
    starts, counts, strides = [], [], []
    for i in range(rank):
        if i < len(begin):
            start, count, step = _slice_dim(op, inp.shape[i], int(begin[i]), int(end[i]), int(steps[i]),
                                            bool(bm >> i & 1), bool(em >> i & 1), bool(sm >> i & 1))
        else:
            start, count, step = 0, inp.shape[i], 1
        starts.append(start)
        counts.append(count)
        strides.append(step)
    if math.prod(counts) != out.size:
        raise _refuse(op, f"slice of {counts} does not match the output {list(out.shape)}", INT8_FIX)
    if rank > MAX_RANK:
        raise _refuse(op, f"a {rank}-D slice", "keep tensors at most 4-D")
    lead = MAX_RANK - rank
    in_strides = _strides(_shape4(op, inp))
    dims = [1] * lead + counts
    region = _region(sum(s * st for s, st in zip([0] * lead + starts, in_strides)), dims,
                     [st * k for st, k in zip(in_strides, [1] * lead + strides)])
    return _regions_call(op, "td_slice_s8", "td_slice_params", [region], op.inputs[0], [op.outputs[0]])


def _split_regions(op: Operator, inp: Tensor, axis: int, sizes: list[int]) -> list[tuple[int, ...]]:
    in4 = _shape4(op, inp)
    strides = _strides(in4)
    if sum(sizes) != in4[axis] or any(s < 0 for s in sizes):
        raise _refuse(op, f"split sizes {sizes} do not add up to {in4[axis]}", INT8_FIX)
    regions, offset = [], 0
    for size in sizes:
        dims = list(in4)
        dims[axis] = size
        regions.append(_region(offset * strides[axis], dims, strides))
        offset += size
    return regions


def _lower_split(model: Model, op: Operator, value: int, axis_raw: int, sizes: list[int]) -> Call:
    inp = model.tensor(value)
    outs = [model.tensor(o) for o in op.outputs]
    _int8(op, inp, *outs)
    for t in outs:
        _same_quant(op, inp, t)
    axis = _axis(op, axis_raw, len(inp.shape))
    regions = _split_regions(op, inp, axis, sizes)
    return _regions_call(op, "td_slice_s8", "td_slice_params", regions, value, list(op.outputs))


def lower_split(model: Model, op: Operator) -> Call:
    axis = int(_const(model, op, op.inputs[0], "split axis").reshape(-1)[0])
    inp = model.tensor(op.inputs[1])
    n = len(op.outputs)
    dim = _shape4(op, inp)[_axis(op, axis, len(inp.shape))]
    if dim % n:
        raise _refuse(op, f"{dim} does not split into {n} equal parts", INT8_FIX)
    return _lower_split(model, op, op.inputs[1], axis, [dim // n] * n)


def lower_split_v(model: Model, op: Operator) -> Call:
    inp = model.tensor(op.inputs[0])
    sizes = [int(s) for s in _const(model, op, op.inputs[1], "split sizes").reshape(-1)]
    axis = int(_const(model, op, op.inputs[2], "split axis").reshape(-1)[0])
    dim = _shape4(op, inp)[_axis(op, axis, len(inp.shape))]
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = dim - (sum(sizes) + 1)
    return _lower_split(model, op, op.inputs[0], axis, sizes)


def lower_unpack(model: Model, op: Operator) -> Call:
    inp = model.tensor(op.inputs[0])
    axis = int(op.option("axis", 0))
    dim = _shape4(op, inp)[_axis(op, axis, len(inp.shape))]
    return _lower_split(model, op, op.inputs[0], axis, [1] * dim)


def lower_reduce_max(model: Model, op: Operator) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    _int8(op, inp, out)
    _same_quant(op, inp, out)
    rank = len(inp.shape)
    axes = sorted({int(a) % rank for a in _const(model, op, op.inputs[1], "reduction axes").reshape(-1)})
    if not axes or axes != list(range(axes[0], axes[-1] + 1)):
        raise _refuse(op, f"reduction over non-adjacent axes {axes}", "reduce over adjacent axes (a global pool)")
    fields = (("outer", math.prod(inp.shape[: axes[0]])), ("reduce", math.prod(inp.shape[axes[0]: axes[-1] + 1])),
              ("inner", math.prod(inp.shape[axes[-1] + 1:])))
    return Call(op.index, op.opcode, op.layer, "td_reduce_max_s8", "td_reduce_max_s8.h", "td_reduce_max_params",
                fields, (), op.inputs[0], op.outputs[0], inp.size)


HANDLERS = {
    "CONCATENATION": lower_concatenation,
    "PAD": lower_pad,
    "PADV2": lower_pad,
    "STRIDED_SLICE": lower_strided_slice,
    "SPLIT": lower_split,
    "SPLIT_V": lower_split_v,
    "UNPACK": lower_unpack,
    "REDUCE_MAX": lower_reduce_max,
}

SUPPORTED = {
    "CONCATENATION": "int8, any axis, inputs quantized as the output (no fused activation)",
    "PAD": "int8, constant non-negative paddings (pads with the zero point), up to 4-D",
    "PADV2": "int8, constant paddings and pad value, up to 4-D",
    "STRIDED_SLICE": "int8, constant begin/end/strides, begin/end/shrink-axis masks, offset; up to 4-D",
    "SPLIT": "int8, equal parts along a constant axis",
    "SPLIT_V": "int8, constant sizes along a constant axis",
    "UNPACK": "int8, any axis",
    "REDUCE_MAX": "int8 over adjacent axes (global max pooling)",
    "SPACE_TO_BATCH_ND": "folded with BATCH_TO_SPACE_ND around a conv into a dilated CONV_2D / DEPTHWISE_CONV_2D",
    "BATCH_TO_SPACE_ND": "see SPACE_TO_BATCH_ND",
    "SHAPE": "only as the dynamic-batch shape computation feeding a RESHAPE (folded for batch 1)",
    "PACK": "only in the dynamic-batch shape computation feeding a RESHAPE (folded for batch 1)",
}
