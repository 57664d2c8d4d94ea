"""Checks and arithmetic shared by the lowerings of several op families ("Prepare" in Python)."""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModel
from .. import quantization as q
from ..ir import Model, Operator, Tensor

INT8_FIX = ("convert the model to full int8: converter.optimizations = [tf.lite.Optimize.DEFAULT], a "
            "representative_dataset, target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8], "
            "inference_input_type = inference_output_type = tf.int8")
MAX_RANK = 4


def where(op: Operator) -> str:
    return f"{op.opcode} (op {op.index}{', layer ' + repr(op.layer) if op.layer else ''})"


def refuse(op: Operator, what: str, fix: str) -> UnsupportedModel:
    return UnsupportedModel(f"{where(op)}: {what}; {fix}")


def int8(op: Operator, *tensors: Tensor) -> None:
    for t in tensors:
        if t.dtype != "int8" or t.quant is None:
            raise refuse(op, f"tensor {t.name!r} is {t.dtype}{'' if t.quant else ' without quantization'}, "
                             "the C engine runs int8 only", INT8_FIX)


def fused_activation(op: Operator, out: Tensor) -> tuple[int, int]:
    act = op.option("fused_activation_function", "NONE")
    if act not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
        raise refuse(op, f"fused activation {act} is not supported", "use ReLU, ReLU6 or no fused activation")
    return q.activation_range(act, out.scale, out.zero_point)


def nhwc(op: Operator, t: Tensor) -> tuple[int, int, int]:
    if len(t.shape) != 4 or t.shape[0] != 1:
        raise refuse(op, f"tensor {t.name!r} has shape {list(t.shape)}, expected [1, H, W, C]",
                     "convert with a fixed batch of 1 (an input signature [1, W, C])")
    return t.shape[1], t.shape[2], t.shape[3]


def pad_before(padding: str, stride: int, dil: int, in_size: int, k: int, out_size: int) -> int:
    effective = (k - 1) * dil + 1
    total = max((out_size - 1) * stride + effective - in_size, 0)
    return total // 2 if padding == "SAME" else 0


def bias_values(model: Model, op: Operator, n: int) -> np.ndarray:
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        b = model.tensor(op.inputs[2])
        if b.dtype != "int32" or not b.is_constant:
            raise refuse(op, f"bias {b.name!r} is {b.dtype}", INT8_FIX)
        return b.array().astype(np.int64).reshape(-1)
    return np.zeros(n, dtype=np.int64)


def per_channel_multipliers(inp: Tensor, w: Tensor, out: Tensor, n: int) -> tuple[list[int], list[int]]:
    """PopulateConvolutionQuantizationParams: double(in) * double(w[c]) / double(out)."""
    scales = w.quant.scale if len(w.quant.scale) > 1 else w.quant.scale * n
    pairs = [q.quantize_multiplier(float(inp.scale) * float(s) / float(out.scale)) for s in scales]
    return [m for m, _ in pairs], [s for _, s in pairs]


def i32(values) -> tuple[int, ...]:
    out = tuple(int(v) for v in values)
    if any(v < q.INT32_MIN or v > q.INT32_MAX for v in out):
        raise q.OutOfRange("a folded constant that does not fit int32")
    return out


def weights_symmetric(op: Operator, w: Tensor) -> None:
    int8(op, w)
    if not w.is_constant:
        raise refuse(op, "the weights are not constant", "keep weights as constants (no weight inputs)")
    if any(z != 0 for z in w.quant.zero_point):
        raise refuse(op, "int8 weights with a non-zero zero point", INT8_FIX)


def f32(x: float) -> np.float32:
    return np.float32(x)


def same_quant(op: Operator, a: Tensor, b: Tensor) -> None:
    if a.quant.scale != b.quant.scale or a.quant.zero_point != b.quant.zero_point:
        raise refuse(op, f"{a.name!r} and {b.name!r} are quantized differently", INT8_FIX)


def const_ints(model: Model, op: Operator, index: int, what: str) -> np.ndarray:
    t = model.tensor(index)
    if not t.is_constant:
        raise refuse(op, f"the {what} are not constant", "use fixed slice bounds, paddings and axes")
    return t.array().astype(np.int64)


def shape4(op: Operator, t: Tensor) -> tuple[int, ...]:
    if len(t.shape) > MAX_RANK:
        raise refuse(op, f"tensor {t.name!r} has {len(t.shape)} dimensions", "keep tensors at most 4-D")
    return (1,) * (MAX_RANK - len(t.shape)) + tuple(t.shape)


def row_major_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    out, step = [], 1
    for d in reversed(shape):
        out.append(step)
        step *= d
    return tuple(reversed(out))


def axis4(op: Operator, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise refuse(op, f"axis {axis} out of range for rank {rank}", INT8_FIX)
    return axis % rank + (MAX_RANK - rank)
