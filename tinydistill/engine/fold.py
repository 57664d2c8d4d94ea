"""Generation-time graph folding: the dynamic-batch patterns of models converted without a fixed batch.

A model converted the default way (batch dimension None) carries shape arithmetic
that batch 1 makes static:

* `Flatten` becomes SHAPE → STRIDED_SLICE → PACK feeding a RESHAPE's shape input (a
  Dense on a 3-D input: SHAPE → GATHER → REDUCE_PROD → PACK). That int32 arithmetic is
  evaluated here for batch 1, the RESHAPE gets its static shape, and the ops die.
* A dilated convolution becomes SPACE_TO_BATCH_ND → [EXPAND_DIMS] → CONV_2D or
  DEPTHWISE_CONV_2D (VALID, stride 1) → [RESHAPE] → BATCH_TO_SPACE_ND. That is
  the same dilated convolution over the original input, padded with the zero
  point (what SPACE_TO_BATCH_ND pads with, and what the conv kernels' padding
  means) and cropped: it is rewritten into the convolution with dilation = block
  and SAME or VALID padding, whichever reproduces the paddings and crops.

Models converted without `inference_input_type/inference_output_type = tf.int8` take and
give float32 through a leading QUANTIZE and a trailing DEQUANTIZE. The C API is int8 in
and out (`td_model_invoke(const int8_t *, int8_t *)`), so those two boundary ops are
stripped: the generated model takes the int8 tensor QUANTIZE would have produced and
gives the int8 tensor DEQUANTIZE would have read, and TD_MODEL_INPUT_SCALE / _ZERO_POINT
and TD_MODEL_OUTPUT_SCALE / _ZERO_POINT say how the caller converts (q = round(x / scale)
+ zero_point in, x = scale * (q - zero_point) out). No float runs on the device.

`fold(model)` returns a new Model (the IR is immutable); ops keep their indices.
"""

from __future__ import annotations

import dataclasses
import math
from types import MappingProxyType

import numpy as np

from ..errors import UnsupportedModel
from .ir import Model, Operator, Tensor
from .slicing import masks, slice_dim

# What to change when an op survives folding and the C engine has no kernel for it.
HINTS = {
    "SHAPE": "convert with a fixed batch of 1 (an input signature [1, W, C]) so the shape is static",
    "SPACE_TO_BATCH_ND": "convert with a fixed batch of 1 (an input signature [1, W, C]): the dilated "
                         "convolution then stays one CONV_2D",
    "BATCH_TO_SPACE_ND": "convert with a fixed batch of 1 (an input signature [1, W, C]): the dilated "
                         "convolution then stays one CONV_2D",
    "DEQUANTIZE": "part of the graph stays float; convert to full int8 (target_spec.supported_ops = "
                  "[tf.lite.OpsSet.TFLITE_BUILTINS_INT8]); only a DEQUANTIZE on the model output is taken",
    "WHILE": "unroll recurrent layers (unroll=True) and convert with a fixed batch of 1",
    "TRANSPOSE": "keep the time axis first and channels last ([W, C]); avoid Permute layers",
    "GATHER": "avoid indexing layers (Embedding, ops.take); feed the model the gathered values",
    "HARD_SWISH": "use ReLU or ReLU6",
    "BATCH_MATMUL": "use Dense layers on a flattened input instead of a matrix product of activations",
}


def hint(opcode: str) -> str | None:
    """What to change in the model for an op the engine does not take, when there is a specific fix."""
    return HINTS.get(opcode)


def _consumers(model: Model, ops: list[Operator]) -> dict[int, list[int]]:
    """Tensor → positions in `ops` of the ops that read it."""
    users: dict[int, list[int]] = {}
    for k, op in enumerate(ops):
        for t in op.inputs:
            if t >= 0:
                users.setdefault(t, []).append(k)
    return users


def _refuse(op: Operator, what: str) -> UnsupportedModel:
    where = f"{op.opcode} (op {op.index}{', layer ' + repr(op.layer) if op.layer else ''})"
    return UnsupportedModel(f"{where}: {what}; convert the model with a fixed batch of 1 "
                            "(an input signature [1, W, C])")


def _with(op: Operator, **changes) -> Operator:
    return dataclasses.replace(op, **changes)


def _strided_slice_value(x: np.ndarray, begin, end, strides, op: Operator) -> np.ndarray:
    if op.option("ellipsis_mask", 0) or op.option("new_axis_mask", 0):
        raise _refuse(op, "an ellipsis or new-axis mask in a shape computation")
    bm, em, sm = masks(op.option)
    # Last axis first, so that a shrunk axis does not shift the ones still to slice.
    for i in reversed(range(x.ndim)):
        if i >= len(begin):
            continue
        try:
            start, count, step = slice_dim(x.shape[i], int(begin[i]), int(end[i]), int(strides[i]),
                                           bool(bm >> i & 1), bool(em >> i & 1), bool(sm >> i & 1))
        except ValueError as exc:
            raise _refuse(op, f"{exc} in a shape computation") from None
        if sm >> i & 1:
            x = np.take(x, start, axis=i)
        else:
            x = np.take(x, start + step * np.arange(count, dtype=np.int64), axis=i)
    return x


class _ShapeValues:
    """Values of the int32 tensors that compute shapes, evaluated for batch 1 at generation time."""

    def __init__(self, model: Model, ops: list[Operator], tensors: list[Tensor]):
        self.model, self.tensors = model, tensors
        self.producer = {t: op for op in ops for t in op.outputs}
        self.memo: dict[int, np.ndarray] = {}

    def __call__(self, t: int, consumer: Operator) -> np.ndarray:
        if t in self.memo:
            return self.memo[t]
        tensor = self.tensors[t]
        if tensor.is_constant:
            return tensor.array().astype(np.int64)
        op = self.producer.get(t)
        if op is None:
            raise _refuse(consumer, f"the shape {tensor.name!r} is computed from a model input")
        args = [self(i, op) if i >= 0 else None for i in op.inputs[1 if op.opcode == "SHAPE" else 0:]]
        code = op.opcode
        if code == "SHAPE":
            value = np.array(self.tensors[op.inputs[0]].shape, dtype=np.int64)
        elif code == "STRIDED_SLICE":
            value = _strided_slice_value(args[0], args[1], args[2], args[3] if len(args) > 3 else
                                         np.ones_like(args[1]), op)
        elif code == "PACK":
            value = np.stack(args, axis=int(op.option("axis", 0)))
        elif code == "CONCATENATION":
            value = np.concatenate([np.atleast_1d(a) for a in args], axis=int(op.option("axis", 0)))
        elif code == "GATHER":
            value = np.take(args[0], args[1], axis=int(op.option("axis", 0)))
        elif code in ("REDUCE_PROD", "SUM"):
            fn = np.prod if code == "REDUCE_PROD" else np.sum
            value = fn(args[0], axis=tuple(int(a) for a in np.atleast_1d(args[1])),
                       keepdims=bool(op.option("keep_dims", False)))
        elif code in ("MUL", "ADD", "SUB", "FLOOR_DIV"):
            fn = {"MUL": np.multiply, "ADD": np.add, "SUB": np.subtract, "FLOOR_DIV": np.floor_divide}[code]
            value = fn(args[0], args[1])
        elif code == "CAST":
            value = args[0]
        elif code in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
            value = np.asarray(args[0]).reshape(self.tensors[op.outputs[0]].shape)
        else:
            raise _refuse(op, f"{code} in a shape computation cannot be evaluated at generation time")
        self.memo[t] = np.asarray(value, dtype=np.int64)
        return self.memo[t]


def _fold_dynamic_reshapes(model: Model, ops: list[Operator], tensors: list[Tensor]) -> list[Operator]:
    """RESHAPE with a computed shape input → RESHAPE to that shape evaluated for batch 1.

    A Dense on a 3-D input reshapes to [-1, C] and back around FULLY_CONNECTED; the
    converter stores unknown extents as 1, so the fully connected output is re-derived.
    """
    values = _ShapeValues(model, ops, tensors)
    changed: set[int] = set()
    out = []
    for op in ops:
        if op.opcode == "RESHAPE" and len(op.inputs) > 1 and op.inputs[1] >= 0 \
                and not tensors[op.inputs[1]].is_constant:
            src, dst = tensors[op.inputs[0]], tensors[op.outputs[0]]
            shape = [int(d) for d in values(op.inputs[1], op).reshape(-1)]
            if shape.count(-1) == 1 and src.size % max(1, -math.prod(shape)) == 0:
                shape[shape.index(-1)] = src.size // -math.prod(shape)
            if any(d <= 0 for d in shape) or math.prod(shape) != src.size:
                raise _refuse(op, f"reshape of {list(src.shape)} to the computed shape {shape} "
                                  "is not static for batch 1")
            if tuple(shape) != dst.shape:
                tensors[op.outputs[0]] = dataclasses.replace(dst, shape=tuple(shape))
                changed.add(op.outputs[0])
            op = _with(op, inputs=op.inputs[:1])
        elif op.opcode == "FULLY_CONNECTED" and op.inputs[0] in changed:
            inp, units = tensors[op.inputs[0]], tensors[op.inputs[1]].shape[0]
            keep = op.option("keep_num_dims", False)
            shape = inp.shape[:-1] + (units,) if keep else (inp.size // tensors[op.inputs[1]].shape[1], units)
            tensors[op.outputs[0]] = dataclasses.replace(tensors[op.outputs[0]], shape=shape)
            changed.add(op.outputs[0])
        out.append(op)
    return out


def _const_ints(model: Model, index: int, op: Operator) -> np.ndarray:
    if index < 0 or not model.tensor(index).is_constant:
        raise _refuse(op, "block shape, paddings or crops are not constant")
    return model.tensor(index).array().astype(np.int64)


def _padding_mode(in_size: int, k: int, dil: int, out_size: int, pad: int) -> set[str]:
    """The padding modes (stride 1) under which a conv maps in_size to out_size with `pad` before."""
    effective = (k - 1) * dil + 1
    modes = set()
    if out_size == in_size - effective + 1 and pad == 0:
        modes.add("VALID")
    if out_size == in_size and pad == max(effective - 1, 0) // 2:
        modes.add("SAME")
    return modes


def _fold_space_to_batch(model: Model, ops: list[Operator], tensors: list[Tensor]) -> list[Operator]:
    """SPACE_TO_BATCH_ND → [EXPAND_DIMS] → conv → [RESHAPE] → BATCH_TO_SPACE_ND ⇒ [EXPAND_DIMS] → dilated conv."""
    users = _consumers(model, ops)
    drop: set[int] = set()
    replace: dict[int, Operator] = {}
    for k, s2b in enumerate(ops):
        if s2b.opcode != "SPACE_TO_BATCH_ND":
            continue
        chain = [k]
        while True:  # follow single consumers up to BATCH_TO_SPACE_ND
            nxt = users.get(ops[chain[-1]].outputs[0], [])
            if len(nxt) != 1 or len(chain) > 4:
                raise _refuse(s2b, "SPACE_TO_BATCH_ND does not feed one convolution and BATCH_TO_SPACE_ND")
            chain.append(nxt[0])
            if ops[nxt[0]].opcode == "BATCH_TO_SPACE_ND":
                break
        middle = [ops[i] for i in chain[1:-1]]
        b2s = ops[chain[-1]]
        kinds = [m.opcode for m in middle]
        convs = [m for m in middle if m.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D")]
        if len(convs) != 1 or any(kd not in ("EXPAND_DIMS", "RESHAPE", "SQUEEZE", "CONV_2D", "DEPTHWISE_CONV_2D")
                                  for kd in kinds):
            raise _refuse(s2b, f"SPACE_TO_BATCH_ND around {kinds} is not a dilated convolution")
        conv = convs[0]
        if (conv.option("stride_h", 1), conv.option("stride_w", 1), conv.option("dilation_h_factor", 1),
                conv.option("dilation_w_factor", 1), conv.option("padding")) != (1, 1, 1, 1, "VALID"):
            raise _refuse(conv, "the convolution between SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND is not "
                                "VALID with stride 1")
        block = _const_ints(model, s2b.inputs[1], s2b).reshape(-1)
        pads = _const_ints(model, s2b.inputs[2], s2b).reshape(-1, 2)
        if not np.array_equal(_const_ints(model, b2s.inputs[1], b2s).reshape(-1), block):
            raise _refuse(b2s, "block shapes of SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND differ")
        crops = _const_ints(model, b2s.inputs[2], b2s).reshape(-1, 2)
        x, y = model.tensor(s2b.inputs[0]), model.tensor(b2s.outputs[0])
        m = len(block)
        if x.shape[0] != 1 or len(x.shape) != m + 2 or len(y.shape) != m + 2 or m not in (1, 2):
            raise _refuse(s2b, f"unexpected shapes {list(x.shape)} → {list(y.shape)}")
        # Where the spatial dims of x land in the conv's 4-D NHWC layout.
        expand = [o for o in middle[: middle.index(conv)] if o.opcode == "EXPAND_DIMS"]
        if m == 2:
            if expand:
                raise _refuse(s2b, "a 2-D SPACE_TO_BATCH_ND followed by EXPAND_DIMS")
            positions = [1, 2]
            conv_in_shape = x.shape
        else:
            if len(expand) != 1:
                raise _refuse(s2b, "a 1-D SPACE_TO_BATCH_ND not followed by one EXPAND_DIMS")
            axis = int(_const_ints(model, expand[0].inputs[1], expand[0]).reshape(-1)[0]) % 4
            if axis not in (1, 2):
                raise _refuse(expand[0], f"EXPAND_DIMS on axis {axis} before a convolution")
            positions = [2] if axis == 1 else [1]
            conv_in_shape = x.shape[:axis] + (1,) + x.shape[axis:]
        w = model.tensor(conv.inputs[1])
        kernel = (w.shape[1], w.shape[2])
        dilation = [1, 1]
        out_spatial = [1, 1]
        in_spatial = [conv_in_shape[1], conv_in_shape[2]]
        modes = {"SAME", "VALID"}
        for i, pos in enumerate(positions):
            d = pos - 1
            dilation[d] = int(block[i])
            out_spatial[d] = y.shape[1 + i]
            modes &= _padding_mode(in_spatial[d], kernel[d], dilation[d], out_spatial[d],
                                   int(pads[i][0] - crops[i][0]))
        for d in range(2):
            if d + 1 not in positions:
                out_spatial[d] = in_spatial[d] - kernel[d] + 1
                modes &= _padding_mode(in_spatial[d], kernel[d], 1, out_spatial[d], 0)
        if not modes:
            raise _refuse(conv, f"paddings {pads.tolist()} and crops {crops.tolist()} match neither SAME nor "
                                "VALID padding of the dilated convolution")
        c_out = model.tensor(conv.outputs[0])
        conv_out_shape = (1, out_spatial[0], out_spatial[1], c_out.shape[3])
        options = dict(conv.options, dilation_h_factor=dilation[0], dilation_w_factor=dilation[1],
                       padding="VALID" if "VALID" in modes else "SAME")
        # Rewire: x → [EXPAND_DIMS] → conv' → [RESHAPE to y] ; the S2B/B2S ops disappear.
        current = s2b.inputs[0]
        for o in middle:
            if o is conv:
                replace[o.index] = _with(o, inputs=(current, *o.inputs[1:]), options=MappingProxyType(options))
                tensors[o.outputs[0]] = dataclasses.replace(tensors[o.outputs[0]], shape=conv_out_shape)
            elif o.opcode == "EXPAND_DIMS":
                replace[o.index] = _with(o, inputs=(current, *o.inputs[1:]))
                tensors[o.outputs[0]] = dataclasses.replace(tensors[o.outputs[0]], shape=conv_in_shape)
            else:  # RESHAPE / SQUEEZE back to the rank of x: fixed up below
                replace[o.index] = _with(o, inputs=(current,))
            current = o.outputs[0]
        last = middle[-1]
        if last is conv:  # no reshape after the conv: the conv writes y itself
            replace[conv.index] = _with(replace[conv.index], outputs=(b2s.outputs[0],))
        else:
            replace[last.index] = _with(replace[last.index], outputs=(b2s.outputs[0],))
            # Intermediate reshapes between conv and the last one keep the conv's output shape.
            for o in middle[middle.index(conv) + 1: -1]:
                tensors[o.outputs[0]] = dataclasses.replace(tensors[o.outputs[0]], shape=conv_out_shape)
        drop.update({s2b.index, b2s.index})
    return [replace.get(op.index, op) for op in ops if op.index not in drop]


def _drop_dead(model: Model, ops: list[Operator]) -> list[Operator]:
    """Remove ops none of whose outputs is read (repeatedly: whole dead chains)."""
    while True:
        read = {t for op in ops for t in op.inputs if t >= 0} | set(model.outputs)
        alive = [op for op in ops if any(t in read for t in op.outputs)]
        if len(alive) == len(ops):
            return ops
        ops = alive


def strip_float_io(model: Model) -> Model:
    """Drop a float32 → int8 QUANTIZE on the model input and an int8 → float32 DEQUANTIZE on its output."""
    ops = list(model.operators)
    inputs, outputs = list(model.inputs), list(model.outputs)
    users = _consumers(model, ops)
    for pos, t in enumerate(inputs):
        readers = [ops[k] for k in users.get(t, [])]
        if model.tensor(t).dtype == "float32" and len(readers) == 1 and readers[0].opcode == "QUANTIZE" \
                and model.tensor(readers[0].outputs[0]).dtype == "int8":
            inputs[pos] = readers[0].outputs[0]
            ops.remove(readers[0])
    producers = {o: op for op in ops for o in op.outputs}
    for pos, t in enumerate(outputs):
        op = producers.get(t)
        if model.tensor(t).dtype == "float32" and op is not None and op.opcode == "DEQUANTIZE" \
                and model.tensor(op.inputs[0]).dtype == "int8" and op.inputs[0] not in model.inputs:
            outputs[pos] = op.inputs[0]
            ops.remove(op)
    if len(ops) == len(model.operators):
        return model
    return dataclasses.replace(model, operators=tuple(ops), inputs=tuple(inputs), outputs=tuple(outputs))


def fold(model: Model) -> Model:
    """The model with float I/O stripped and its dynamic-batch patterns folded for batch 1
    (the same model when it has neither)."""
    model = strip_float_io(model)
    ops = list(model.operators)
    if not any(op.opcode in ("SPACE_TO_BATCH_ND", "SHAPE") or
               (op.opcode == "RESHAPE" and len(op.inputs) > 1 and op.inputs[1] >= 0
                and not model.tensor(op.inputs[1]).is_constant) for op in ops):
        return model
    tensors = list(model.tensors)
    try:
        ops = _fold_dynamic_reshapes(model, ops, tensors)
        ops = _fold_space_to_batch(model, ops, tensors)
    except (ValueError, IndexError, TypeError, ZeroDivisionError, OverflowError) as exc:
        # The shape arithmetic and block/crop constants are the model's data: numpy's complaint about
        # them (mismatched lengths, an index past a shape) means the pattern is not one we can fold.
        raise UnsupportedModel(f"the dynamic-batch shape computation cannot be evaluated for batch 1 "
                               f"({type(exc).__name__}: {exc}); convert the model with a fixed batch of 1 "
                               "(an input signature [1, W, C])") from None
    folded = dataclasses.replace(model, tensors=tuple(tensors), operators=tuple(ops))
    return dataclasses.replace(folded, operators=tuple(_drop_dead(folded, ops)))
