"""AVERAGE_POOL_2D and MAX_POOL_2D."""

from __future__ import annotations

from ..ir import Model, Operator
from .call import Call
from .helpers import INT8_FIX, fused_activation, int8, nhwc, pad_before, refuse
from .registry import lowers


def _lower_pool(model: Model, op: Operator, kernel: str) -> Call:
    inp, out = model.tensor(op.inputs[0]), model.tensor(op.outputs[0])
    int8(op, inp, out)
    in_h, in_w, c = nhwc(op, inp)
    out_h, out_w, _ = nhwc(op, out)
    if inp.quant.scale != out.quant.scale or inp.quant.zero_point != out.quant.zero_point:
        raise refuse(op, "input and output quantization differ", INT8_FIX)
    f_h, f_w = op.option("filter_height", 1), op.option("filter_width", 1)
    sh, sw = op.option("stride_h", 1), op.option("stride_w", 1)
    padding = op.option("padding", "VALID")
    act_min, act_max = fused_activation(op, out)
    fields = (("in_h", in_h), ("in_w", in_w), ("channels", c), ("out_h", out_h), ("out_w", out_w),
              ("f_h", f_h), ("f_w", f_w), ("stride_h", sh), ("stride_w", sw),
              ("pad_top", pad_before(padding, sh, 1, in_h, f_h, out_h)),
              ("pad_left", pad_before(padding, sw, 1, in_w, f_w, out_w)), ("act_min", act_min), ("act_max", act_max))
    return Call(op.index, op.opcode, op.layer, kernel, "td_pool_s8.h", "td_pool_params", fields, (),
                op.inputs[0], op.outputs[0], out.size * f_h * f_w)


@lowers("AVERAGE_POOL_2D", support="int8, SAME/VALID, fused NONE/RELU/RELU6")
def lower_average_pool_2d(model: Model, op: Operator) -> Call:
    return _lower_pool(model, op, "td_avg_pool_s8")


@lowers("MAX_POOL_2D", support="int8, SAME/VALID, fused NONE/RELU/RELU6")
def lower_max_pool_2d(model: Model, op: Operator) -> Call:
    return _lower_pool(model, op, "td_max_pool_s8")
