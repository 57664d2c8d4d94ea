"""Lower each IR operator to one kernel call with generation-time parameters.

Every multiplier, shift, folded bias, interior range and table is computed here
("Prepare" in Python); the C kernels only do the integer "Eval". One module per op
family registers its lowerings in `registry` with `@lowers`; importing them here
fills the registry, which `lower` dispatches on by TFLite opcode.
"""

from __future__ import annotations

from ...errors import UnsupportedModel
from .. import quantization as q
from ..fold import hint
from ..ir import Model
from ..planner import ALIAS_OPS
from . import activation, arith, conv, fully_connected, layout, passthrough, pool, reduce, softmax  # noqa: F401
from .call import Call, ConstArray
from .helpers import INT8_FIX, refuse
from .registry import lowering_for, supported


def lower(model: Model) -> list[Call]:
    """One Call per computing op, in order; aliases produce none. Raises UnsupportedModel."""
    calls = []
    for op in model.operators:
        if op.opcode in ALIAS_OPS:
            if model.tensor(op.inputs[0]).dtype != model.tensor(op.outputs[0]).dtype:
                raise refuse(op, "changes the dtype", INT8_FIX)
            continue
        lowering = lowering_for(op.opcode)
        if lowering is None:
            raise refuse(op, "this op is not supported by the C engine", hint(op.opcode) or
                         f"replace the layer it comes from with one of: {', '.join(supported())} "
                         "(see `tinydistill codegen --list-ops`)")
        try:
            calls.append(lowering(model, op))
        except q.OutOfRange as exc:
            raise refuse(op, f"its quantization gives {exc}, which the int8 kernels cannot represent",
                         "check the tensors' scales and zero points, or convert the model again") from None
    for t in (*model.inputs, *model.outputs):
        tensor = model.tensor(t)
        if tensor.dtype != "int8":
            raise UnsupportedModel(f"model input/output {tensor.name!r} is {tensor.dtype}; {INT8_FIX}")
    return calls


__all__ = ["Call", "ConstArray", "INT8_FIX", "lower", "supported"]
