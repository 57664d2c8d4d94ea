"""One compilation of a model for the C engine: folded IR, kernel calls and memory plan.

Code generation renders it and the per-layer analysis (and so `budget`) reads it, so
the arena the budget counts is the arena the generated C declares.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import UnsupportedModel
from .fold import fold
from .ir import Model
from .lowering import Call, lower
from .planner import MemoryPlan, plan
from .reader import read
from .verify import verify_arena, verify_calls, verify_graph, verify_ops


@dataclass(frozen=True)
class CompiledModel:
    """`source` as read, `model` folded for batch 1 and int8 I/O, its `calls` and arena `memory`."""

    source: Model
    model: Model
    calls: tuple[Call, ...]
    memory: MemoryPlan


def compile(model: str | os.PathLike | bytes | Model) -> CompiledModel:  # noqa: A001 (engine.compile)
    """Read, verify, fold, verify, lower and plan `model` (path, bytes or IR). Raises UnsupportedModel
    (or TinyDistillError for a file that is not a model): never a parser or arithmetic exception."""
    source = read(model)
    verify_graph(source)  # indices, buffers, shapes, quantization: before anything reads them
    if len(source.inputs) != 1 or len(source.outputs) != 1:
        raise UnsupportedModel(f"the model has {len(source.inputs)} inputs and {len(source.outputs)} outputs; "
                               "the C engine takes models with one input and one output")
    folded = fold(source)  # dynamic-batch patterns and float I/O → their int8 batch-1 form
    verify_ops(folded)  # each op's Prepare rules on what is lowered
    calls = tuple(lower(folded))
    verify_calls(calls)
    steps = {op.index: step for step, op in enumerate(folded.operators)}
    memory = plan(folded, {steps[c.op]: c.scratch for c in calls if c.scratch})
    verify_arena(memory.arena_size_dsp)
    if set(memory.external.get(t) for t in folded.outputs) != {"output"}:
        raise UnsupportedModel("the model's output is its input (no computing op); nothing to generate")
    return CompiledModel(source, folded, calls, memory)
