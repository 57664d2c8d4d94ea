"""Static memory plan: every intermediate tensor gets an offset in one arena.

Tensors that only reshape another (RESHAPE, EXPAND_DIMS, SQUEEZE) share its bytes
(an alias group is one buffer). The model's input and output live in the caller's
buffers (`td_model_invoke(input, output)`), so they take no arena space. A buffer
is live from the op that writes it to the last op that reads it; buffers whose
lifetimes do not overlap may share bytes. `lower_bound` is the most activation bytes
live at any one op: no plan can use less.

A kernel's working memory (scratch) is a word-aligned buffer of its own that lives for
that one op. Only the DSP builds' kernels (TD_USE_DSP, firmware/kernels/td_dsp.h) use it,
so each build gets a plan of its own. The other builds' plan (`offsets`, `arena_size`) is
the activations' alone, as if no kernel had scratch. The DSP builds' plan (`offsets_dsp`,
`arena_size_dsp`) places the activations in an arena of that same size, then each scratch
in bytes free during its op (above them when none fit). The two plans can differ: GCC
specializes the kernels on the constant arena offsets, so the plain builds keep the plan
they would have without the DSP paths, instruction for instruction.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .ir import ITEMSIZE, Model

# Ops whose output is the input's bytes under another shape: no data movement.
ALIAS_OPS = frozenset({"RESHAPE", "EXPAND_DIMS", "SQUEEZE"})
# Further activation orders tried when a model has scratch (each placed twice: aligned or not).
SEARCH_ORDERS = 64


@dataclass(frozen=True)
class Buffer:
    """One planned buffer: the tensors sharing it, its size and life in op steps."""

    tensors: tuple[int, ...]
    size: int
    first: int  # step of the op that writes it (-1: the model input)
    last: int  # step of the last op that reads it (len(ops): a model output)
    place: str  # "arena", "input" or "output"
    offset: int = 0  # in the arena of builds without the DSP paths, when place == "arena" (scratch: none)
    scratch_of: int | None = None  # the op step whose kernel works in it (no tensors)
    offset_dsp: int = 0  # in the arena of builds with the DSP paths, when place == "arena"


@dataclass(frozen=True)
class MemoryPlan:
    """Where each non-constant tensor lives: in the arena, or the caller's input/output.

    `offsets` and `arena_size` are the plan of builds without the DSP paths (the activations
    alone), `offsets_dsp` and `arena_size_dsp` that of builds with them (activations and the
    kernels' `scratch`); without scratch the two are the same."""

    arena_size: int
    arena_size_dsp: int
    lower_bound: int
    buffers: tuple[Buffer, ...]
    offsets: Mapping[int, int]
    external: Mapping[int, str]
    scratch: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))  # op step -> its scratch's offset
    offsets_dsp: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))

    def offsets_for(self, dsp: bool) -> Mapping[int, int]:
        """Tensor → arena offset in a build with (`dsp`) or without the DSP kernels' paths."""
        return self.offsets_dsp if dsp else self.offsets

    def live_bytes(self, step: int, dsp: bool = False) -> int:
        """Arena bytes live while op `step` runs (with its scratch in a DSP build)."""
        return sum(b.size for b in self.buffers if b.place == "arena" and b.first <= step <= b.last
                   and (dsp or b.scratch_of is None))

    def arena_for(self, dsp: bool) -> int:
        """The arena of a build with (`dsp`) or without the DSP kernels' paths."""
        return self.arena_size_dsp if dsp else self.arena_size


def alias_groups(model: Model) -> dict[int, int]:
    """Map each non-constant tensor to the root tensor of its alias group."""
    root: dict[int, int] = {}

    def find(t: int) -> int:
        while root.get(t, t) != t:
            t = root[t]
        return t

    for op in model.operators:
        for t in (*op.inputs, *op.outputs):
            if t >= 0 and not model.tensor(t).is_constant:
                root.setdefault(t, t)
        if op.opcode in ALIAS_OPS:
            root[find(op.outputs[0])] = find(op.inputs[0])
    for t in (*model.inputs, *model.outputs):
        root.setdefault(t, t)
    return {t: find(t) for t in root}


def _place(buffers: list[Buffer], order: list[int], word_align: bool = True,
           fixed: dict[int, int] | None = None) -> tuple[list[int], int]:
    """First-fit offsets for `buffers` taken in `order` around the `fixed` ones (index → offset, not
    moved); returns every offset and the arena size.

    With `word_align`, buffers whose size is a multiple of 4 start on a 4-byte boundary
    (faster word loads); the kernels are correct at any alignment.
    """
    offsets = [0] * len(buffers)
    for i, offset in (fixed or {}).items():
        offsets[i] = offset
    placed: list[int] = list(fixed or {})
    for i in order:
        b = buffers[i]
        align = 4 if (word_align and b.size % 4 == 0) or b.scratch_of is not None else 1
        clashes = sorted((offsets[j], offsets[j] + buffers[j].size) for j in placed
                         if not (buffers[j].last < b.first or b.last < buffers[j].first))
        offset = 0
        for start, end in clashes:
            if offset + b.size <= start:
                break
            offset = max(offset, -(-end // align) * align)
        offsets[i] = offset
        placed.append(i)
    return offsets, max((offsets[i] + buffers[i].size for i in placed), default=0)


def _peak(buffers: list[Buffer], n_ops: int, dsp: bool) -> int:
    """The most arena bytes live at one op (scratch included for a DSP build): no plan can use less."""
    return max((sum(b.size for b in buffers if b.place == "arena" and b.first <= s <= b.last
                    and (dsp or b.scratch_of is None)) for s in range(n_ops)), default=0)


def plan(model: Model, scratch: Mapping[int, int] | None = None) -> MemoryPlan:
    """Plan the arena of `model` (first fit by size and by lifetime, word-aligned or not; the smallest wins).

    `scratch` maps an op step to the bytes of working memory its kernel needs while it runs in a
    DSP build; it is placed after the activations, which it never moves. With scratch, seeded
    further orders of the activations are tried for the plan of the same activation arena that
    leaves the scratch most room."""
    groups = alias_groups(model)
    members: dict[int, list[int]] = {}
    for t, r in sorted(groups.items()):
        members.setdefault(r, []).append(t)
    n_ops = len(model.operators)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for step, op in enumerate(model.operators):
        if op.opcode in ALIAS_OPS:
            continue
        for t in op.outputs:
            first.setdefault(groups[t], step)
        for t in op.inputs:
            if t in groups:
                last[groups[t]] = step
    inputs = {groups[t] for t in model.inputs}
    outputs = {groups[t] for t in model.outputs}

    buffers: list[Buffer] = []
    for r, ts in sorted(members.items()):
        tensor = model.tensor(r)
        size = max(model.tensor(t).nbytes for t in ts)
        place = "input" if r in inputs else "output" if r in outputs else "arena"
        start = -1 if r in inputs else first.get(r, n_ops)
        end = n_ops if r in outputs else last.get(r, start)
        buffers.append(Buffer(tuple(ts), size or ITEMSIZE.get(tensor.dtype, 1), start, end, place))
    activations = [i for i, b in enumerate(buffers) if b.place == "arena"]
    for step, nbytes in sorted((scratch or {}).items()):
        if nbytes > 0:
            buffers.append(Buffer((), -(-nbytes // 4) * 4, step, step, "arena", scratch_of=step))
    scratches = [i for i, b in enumerate(buffers) if b.scratch_of is not None]

    by_size = sorted(activations, key=lambda i: (-buffers[i].size, buffers[i].first, i))
    by_time = sorted(activations, key=lambda i: (buffers[i].first, -buffers[i].size, i))
    trials = [(order, aligned) for aligned in (True, False) for order in (by_size, by_time)]
    if scratches:
        # Where these orders leave no gap for a scratch, others often do at the same activation
        # arena; they are drawn from a fixed seed, so the plan stays deterministic.
        rng = random.Random(0)
        trials += [(rng.sample(activations, len(activations)), aligned)
                   for _ in range(SEARCH_ORDERS) for aligned in (True, False)]
    bounds = (_peak(buffers, n_ops, False), _peak(buffers, n_ops, True))
    # Builds without the DSP paths: the smallest activation arena, the earlier trial among equals.
    # DSP builds: the smallest activation arena too; among equals, the one the scratch grows least,
    # then the earlier trial (word-aligned first).
    plain = dsp = None
    for order, aligned in trials:
        offsets, size = _place(buffers, order, aligned)
        if plain is None or size < plain[0]:
            plain = (size, offsets)
        if scratches:
            offsets, grown = _place(buffers, scratches, True, {i: offsets[i] for i in activations})
            if dsp is None or (size, max(size, grown)) < dsp[:2]:
                dsp = (size, max(size, grown), offsets)
        if plain[0] == bounds[0] and (not scratches or dsp[:2] == bounds):
            break
    arena_size, offsets = plain
    arena_size_dsp, offsets_dsp = (dsp[1], dsp[2]) if scratches else (arena_size, offsets)
    final = tuple(Buffer(b.tensors, b.size, b.first, b.last, b.place,
                         (offsets[i] if b.scratch_of is None else 0) if b.place == "arena" else 0,
                         b.scratch_of, offsets_dsp[i] if b.place == "arena" else 0)
                  for i, b in enumerate(buffers))
    in_arena = [b for b in final if b.place == "arena"]
    return MemoryPlan(arena_size, arena_size_dsp, bounds[0], final,
                      MappingProxyType({t: b.offset for b in in_arena for t in b.tensors}),
                      MappingProxyType({t: b.place for b in final if b.place != "arena" for t in b.tensors}),
                      MappingProxyType({b.scratch_of: b.offset_dsp for b in in_arena if b.scratch_of is not None}),
                      MappingProxyType({t: b.offset_dsp for b in in_arena for t in b.tensors}))
