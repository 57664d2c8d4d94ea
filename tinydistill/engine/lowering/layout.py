"""Data-movement ops: CONCATENATION, PAD/PADV2, STRIDED_SLICE, SPLIT, SPLIT_V and UNPACK.

They move values without arithmetic (int8 inputs and outputs share scale and zero point,
as the reference kernels require). Each becomes strided region copies whose start,
extents and strides are computed here for the static batch-1 shapes; a region is 9 int32
(start, dims[4], strides[4]) as td_slice_s8.h describes.
"""

from __future__ import annotations

import math

import numpy as np

from ..ir import Model, Operator, Tensor
from ..slicing import masks, slice_dim
from .call import Call, ConstArray
from .helpers import INT8_FIX, MAX_RANK, axis4, const_ints, int8, refuse, row_major_strides, same_quant, shape4
from .registry import lowers


def _region(start: int, dims, strides) -> tuple[int, ...]:
    return (int(start), *(int(d) for d in dims), *(int(s) for s in strides))


def _regions_call(op: Operator, kernel: str, ptype: str, regions: list[tuple[int, ...]], source, outputs,
                  inputs=None, extra=()) -> Call:
    values = tuple(v for r in regions for v in r)
    fields = (("count", len(regions)), ("regions", "regions"), *extra)
    return Call(op.index, op.opcode, op.layer, kernel, f"{kernel}.h", ptype, fields,
                (ConstArray("regions", "int32_t", values),), source, outputs[0], 0,
                input_list=tuple(inputs) if inputs is not None else None,
                output_list=tuple(outputs) if inputs is None else None)


@lowers("CONCATENATION", support="int8, any axis, inputs quantized as the output (no fused activation)")
def lower_concatenation(model: Model, op: Operator) -> Call:
    out = model.tensor(op.outputs[0])
    ins = [model.tensor(i) for i in op.inputs]
    int8(op, out, *ins)
    if op.option("fused_activation_function", "NONE") != "NONE":
        raise refuse(op, "a fused activation on CONCATENATION", "apply the activation before concatenating")
    for t in ins:
        same_quant(op, t, out)
        if t.is_constant:
            raise refuse(op, "a constant input", "concatenate computed tensors only")
    axis = axis4(op, int(op.option("axis", 0)), len(out.shape))
    out4 = shape4(op, out)
    strides = row_major_strides(out4)
    regions, offset = [], 0
    for t in ins:
        t4 = shape4(op, t)
        regions.append(_region(offset * strides[axis], t4, strides))
        offset += t4[axis]
    if offset != out4[axis]:
        raise refuse(op, "input extents do not add up to the output's", INT8_FIX)
    return _regions_call(op, "td_concat_s8", "td_concat_params", regions, op.inputs[0], [op.outputs[0]],
                         inputs=op.inputs)


@lowers("PAD", support="int8, constant non-negative paddings (pads with the zero point), up to 4-D")
@lowers("PADV2", support="int8, constant paddings and pad value, up to 4-D")
def lower_pad(model: Model, op: Operator) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    int8(op, inp, out)
    same_quant(op, inp, out)
    pads = const_ints(model, op, op.inputs[1], "paddings").reshape(-1, 2)
    if (pads < 0).any():
        raise refuse(op, "negative padding", "crop with a slice instead")
    pad_value = out.zero_point  # PAD pads with real 0
    if op.opcode == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        pad_value = int(const_ints(model, op, op.inputs[2], "pad value").reshape(-1)[0])
    in4, out4 = shape4(op, inp), shape4(op, out)
    lead = MAX_RANK - len(pads)
    befores = [0] * lead + [int(p) for p in pads[:, 0]]
    strides = row_major_strides(out4)
    region = _region(sum(b * s for b, s in zip(befores, strides)), in4, strides)
    fields = (("out_size", out.size), ("pad_value", pad_value), ("region", "region"))
    return Call(op.index, op.opcode, op.layer, "td_pad_s8", "td_pad_s8.h", "td_pad_params", fields,
                (ConstArray("region", "int32_t", region),), op.inputs[0], op.outputs[0], 0)


@lowers("STRIDED_SLICE", support="int8, constant begin/end/strides, begin/end/shrink-axis masks, offset; up to 4-D")
def lower_strided_slice(model: Model, op: Operator) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    int8(op, inp, out)
    same_quant(op, inp, out)
    if op.option("ellipsis_mask", 0) or op.option("new_axis_mask", 0):
        raise refuse(op, "ellipsis or new-axis masks", "index with explicit begin/end per dimension")
    begin = const_ints(model, op, op.inputs[1], "begin indices").reshape(-1)
    end = const_ints(model, op, op.inputs[2], "end indices").reshape(-1)
    steps = const_ints(model, op, op.inputs[3], "strides").reshape(-1) if len(op.inputs) > 3 else np.ones_like(begin)
    if op.option("offset", False):
        end = begin + end
    rank = len(inp.shape)
    bm, em, sm = masks(op.option)
    starts, counts, strides = [], [], []
    for i in range(rank):
        if i < len(begin):
            try:
                start, count, step = slice_dim(inp.shape[i], int(begin[i]), int(end[i]), int(steps[i]),
                                               bool(bm >> i & 1), bool(em >> i & 1), bool(sm >> i & 1))
            except ValueError as exc:
                raise refuse(op, str(exc), INT8_FIX) from None
        else:
            start, count, step = 0, inp.shape[i], 1
        starts.append(start)
        counts.append(count)
        strides.append(step)
    if math.prod(counts) != out.size:
        raise refuse(op, f"slice of {counts} does not match the output {list(out.shape)}", INT8_FIX)
    if rank > MAX_RANK:
        raise refuse(op, f"a {rank}-D slice", "keep tensors at most 4-D")
    lead = MAX_RANK - rank
    in_strides = row_major_strides(shape4(op, inp))
    dims = [1] * lead + counts
    region = _region(sum(s * st for s, st in zip([0] * lead + starts, in_strides)), dims,
                     [st * k for st, k in zip(in_strides, [1] * lead + strides)])
    return _regions_call(op, "td_slice_s8", "td_slice_params", [region], op.inputs[0], [op.outputs[0]])


def _split_regions(op: Operator, inp: Tensor, axis: int, sizes: list[int]) -> list[tuple[int, ...]]:
    in4 = shape4(op, inp)
    strides = row_major_strides(in4)
    if sum(sizes) != in4[axis] or any(s < 0 for s in sizes):
        raise refuse(op, f"split sizes {sizes} do not add up to {in4[axis]}", INT8_FIX)
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
    int8(op, inp, *outs)
    for t in outs:
        same_quant(op, inp, t)
    axis = axis4(op, axis_raw, len(inp.shape))
    regions = _split_regions(op, inp, axis, sizes)
    return _regions_call(op, "td_slice_s8", "td_slice_params", regions, value, list(op.outputs))


@lowers("SPLIT", support="int8, equal parts along a constant axis")
def lower_split(model: Model, op: Operator) -> Call:
    axis = int(const_ints(model, op, op.inputs[0], "split axis").reshape(-1)[0])
    inp = model.tensor(op.inputs[1])
    n = len(op.outputs)
    dim = shape4(op, inp)[axis4(op, axis, len(inp.shape))]
    if dim % n:
        raise refuse(op, f"{dim} does not split into {n} equal parts", INT8_FIX)
    return _lower_split(model, op, op.inputs[1], axis, [dim // n] * n)


@lowers("SPLIT_V", support="int8, constant sizes along a constant axis")
def lower_split_v(model: Model, op: Operator) -> Call:
    inp = model.tensor(op.inputs[0])
    sizes = [int(s) for s in const_ints(model, op, op.inputs[1], "split sizes").reshape(-1)]
    axis = int(const_ints(model, op, op.inputs[2], "split axis").reshape(-1)[0])
    dim = shape4(op, inp)[axis4(op, axis, len(inp.shape))]
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = dim - (sum(sizes) + 1)
    return _lower_split(model, op, op.inputs[0], axis, sizes)


@lowers("UNPACK", support="int8, any axis")
def lower_unpack(model: Model, op: Operator) -> Call:
    inp = model.tensor(op.inputs[0])
    axis = int(op.option("axis", 0))
    dim = shape4(op, inp)[axis4(op, axis, len(inp.shape))]
    return _lower_split(model, op, op.inputs[0], axis, [1] * dim)
