"""Ops the engine takes without a kernel of their own: aliases (no data movement) and the
ops that fold.py removes before lowering (float I/O boundaries, dynamic-batch arithmetic)."""

from __future__ import annotations

from ..planner import ALIAS_OPS
from .registry import declare

for _alias in sorted(ALIAS_OPS):
    declare(_alias, "no data movement (an alias)")

declare("DEQUANTIZE", "only int8 → float32 on the model output, stripped (the C API returns the int8 tensor: "
                      "real = TD_MODEL_OUTPUT_SCALE * (q - TD_MODEL_OUTPUT_ZERO_POINT))")
declare("SPACE_TO_BATCH_ND", "folded with BATCH_TO_SPACE_ND around a conv into a dilated CONV_2D / DEPTHWISE_CONV_2D")
declare("BATCH_TO_SPACE_ND", "see SPACE_TO_BATCH_ND")
declare("SHAPE", "only as the dynamic-batch shape computation feeding a RESHAPE (folded for batch 1)")
declare("PACK", "only in the dynamic-batch shape computation feeding a RESHAPE (folded for batch 1)")
