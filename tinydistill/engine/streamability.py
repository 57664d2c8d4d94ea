"""Can a compiled model run incrementally over a stream, and how: the streaming plan.

A model streams when it is a chain of time-local ops (valid convolutions and pools
along the time axis, reshapes that keep it) closed by a global reduction over time
(MEAN or REDUCE_MAX), after which nothing depends on time (dense head, softmax...).
Every time-local op then keeps a history buffer of its input's last rows; each hop
it receives only the new rows its predecessor computed and computes only its own
new output rows by calling its full-window kernel on that buffer with shapes
adjusted. The reduction keeps the last rows of the whole window (MEAN keeps int32
running sums beside them), so every window's output equals the full window's.

`plan_stream(compiled, hop)` returns the plan or raises NotStreamable naming the op
that prevents streaming, why, and what to change in the model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import UnsupportedModel
from .compiled import CompiledModel
from .ir import Operator, Tensor
from .lowering import Call
from .lowering.helpers import where
from .planner import ALIAS_OPS

WINDOW_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D")
REDUCE_OPS = ("MEAN", "REDUCE_MAX")
GLOBAL_POOL_FIX = "end the time-local stack with GlobalAveragePooling1D or GlobalMaxPooling1D before any Dense layer"


class NotStreamable(UnsupportedModel):
    """The model (or hop) has no incremental form; the message names the op and the fix."""


@dataclass(frozen=True)
class StreamStep:
    """One time-local op (or the closing reduction) of the streamed chain.

    Its input history buffer holds `rows` rows of `channels` bytes; each hop the
    predecessor writes `new_rows` rows at its end, after the oldest `new_rows` rows
    were dropped (`keep` rows move to the front). `call` is the full-window call with
    its time axis resized to the last `view_rows` rows of the buffer: it computes
    exactly the `out_new` new output rows (one row for the reduction).
    """

    call: Call
    channels: int
    rows: int
    new_rows: int
    view_rows: int
    out_new: int
    out_channels: int
    reduction: bool = False
    # MEAN: its buffer only receives the new rows; the last `ring_rows` rows live in a ring
    # beside int32 running sums (firmware/streaming/td_running_mean_s8.h).
    ring_rows: int = 0

    @property
    def dsp_scratch(self) -> int:
        """Bytes of the DSP kernels' scratch this step's call takes (word-rounded): only CONV_2D's
        GEMM path, whose scratch does not depend on the rows; 0 for the others."""
        return (self.call.scratch + 3) // 4 * 4 if self.call.opcode == "CONV_2D" else 0

    @property
    def keep(self) -> int:
        return self.rows - self.new_rows

    @property
    def ring_bytes(self) -> int:
        """td_running_mean_s8's state: sums, position and ring (0 for other steps)."""
        return 4 * self.channels + 4 + (self.ring_rows * self.channels + 3) // 4 * 4 if self.ring_rows else 0

    @property
    def nbytes(self) -> int:
        """The history buffer, 4-aligned, then the ring state if any."""
        return (self.rows * self.channels + 3) // 4 * 4 + self.ring_bytes


@dataclass(frozen=True)
class StreamPlan:
    """How a model streams at `hop`: the chain, the time-free tail and the costs per hop."""

    hop: int
    window: int
    in_channels: int
    steps: tuple[StreamStep, ...]
    tail: tuple[Call, ...]  # the full-window calls after the reduction, run once per hop
    tail_tensors: tuple[tuple[int, int], ...]  # (tensor index, bytes) the tail writes, model output excluded
    reduced_tensor: int  # the reduction's output tensor (the tail's first input)
    reduced_bytes: int

    @property
    def chunks(self) -> int:
        """Hops that make up the first window (its start is padded to a whole number of hops)."""
        return -(-self.window // self.hop)

    @property
    def state_bytes(self) -> int:
        """Bytes of history buffers (each 4-aligned) plus the reduced row and the tail's tensors."""
        pad = lambda n: (n + 3) // 4 * 4  # noqa: E731
        return (sum(pad(s.nbytes) for s in self.steps) + pad(self.reduced_bytes)
                + sum(pad(n) for _, n in self.tail_tensors))

    @property
    def dsp_scratch_bytes(self) -> int:
        """The Armv7E-M convolution path's working memory (one op at a time): a static array of
        the streaming C in builds with the DSP kernels (TD_USE_DSP), none in the others."""
        return max((s.dsp_scratch for s in self.steps), default=0)

    def state_for(self, dsp: bool) -> int:
        """The streaming engine's RAM in a build with (`dsp`, targets.Target.dsp) or without the DSP kernels."""
        return self.state_bytes + (self.dsp_scratch_bytes if dsp else 0)

    def macs_per_hop(self) -> int:
        """MACs of one hop: each step's full-window MACs scaled to its new rows, plus the tail's."""
        return sum(s.call.macs for s in self.steps) + sum(t.macs for t in self.tail)


def _time_view(t: Tensor) -> tuple[int, int, int] | None:
    """(axis, rows, channels) of a [1, T, C], [1, 1, T, C] or [1, T, 1, C] tensor, else None."""
    s = t.shape
    if len(s) == 3 and s[0] == 1:
        return 1, s[1], s[2]
    if len(s) == 4 and s[0] == 1 and (s[1] == 1 or s[2] == 1):
        return (2, s[2], s[3]) if s[1] == 1 else (1, s[1], s[3])
    return None


def _refuse(op: Operator, what: str, fix: str) -> NotStreamable:
    return NotStreamable(f"{where(op)} prevents streaming: {what}; {fix}")


def _window_step(op: Operator, call: Call, axis: int, rows_in: int, new_in: int, stride_so_far: int) -> StreamStep:
    """A convolution or pool along the time axis: its buffer and its call on the buffer's last rows."""
    f = dict(call.fields)
    hw = "h" if axis == 1 else "w"
    other = "w" if axis == 1 else "h"
    if f.get(f"k_{other}", f.get(f"f_{other}", 1)) != 1 or f[f"in_{other}"] != 1:
        raise _refuse(op, "its window spans more than the time axis", "use 1-D convolutions and pools (Conv1D)")
    k = f.get(f"k_{hw}", f.get(f"f_{hw}", 1))
    stride = f[f"stride_{hw}"]
    dil = f.get(f"dil_{hw}", 1)
    pad = f["pad_top" if hw == "h" else "pad_left"]
    out_rows = f[f"out_{hw}"]
    effective = (k - 1) * dil + 1
    if pad or (out_rows - 1) * stride + effective > rows_in:
        raise _refuse(op, "its padding reaches past the window's edges, where a stream has real samples",
                      "use padding='valid' (causal and same padding pad each window, not the stream)")
    if new_in // stride >= out_rows:  # the hop renews every output row: recompute them from the whole input
        out_new = out_rows
    elif new_in % stride:
        raise _refuse(op, f"{new_in} new rows reach it per hop, not a multiple of its stride {stride}",
                      f"use a hop that is a multiple of {stride_so_far * stride} (the product of the strides up to "
                      "and including this op)")
    else:
        out_new = new_in // stride
    # The new outputs read the input rows from (out_rows - out_new) * stride to the end.
    view = rows_in - (out_rows - out_new) * stride
    fields = dict(f)
    fields.update({f"in_{hw}": view, f"out_{hw}": out_new})
    if "ox_lo" in fields:  # convolutions: every output is interior (no padding)
        fields.update({"oy_lo": 0, "oy_hi": fields["out_h"], "ox_lo": 0, "ox_hi": fields["out_w"]})
    step_call = replace(call, fields=tuple(fields.items()), macs=call.macs * out_new // max(out_rows, 1))
    in_c = f.get("in_c", f.get("channels"))
    out_c = f.get("out_c", f.get("channels"))
    return StreamStep(step_call, in_c, max(view, new_in), new_in, view, out_new, out_c)


def _reduction_step(op: Operator, call: Call, rows_in: int, channels: int, new_in: int) -> StreamStep:
    f = dict(call.fields)
    if f["outer"] != 1 or f["reduce"] != rows_in or f["inner"] != channels:
        raise _refuse(op, "it does not reduce over the time axis alone", GLOBAL_POOL_FIX)
    if op.opcode == "MEAN":  # running sums: a hop adds and removes new_in rows instead of summing rows_in
        running = replace(call, kernel="td_running_mean_s8", header="td_running_mean_s8.h",
                          macs=2 * new_in * channels)
        return StreamStep(running, channels, new_in, new_in, new_in, 1, channels, reduction=True, ring_rows=rows_in)
    return StreamStep(call, channels, rows_in, new_in, rows_in, 1, channels, reduction=True)


def plan_stream(compiled: CompiledModel, hop: int) -> StreamPlan:
    """The streaming plan of `compiled` at `hop` samples per step. Raises NotStreamable."""
    model, calls = compiled.model, compiled.calls
    by_op = {c.op: c for c in calls}
    view = _time_view(model.input)
    if view is None:
        raise NotStreamable(f"the input has shape {list(model.input.shape)}, not [1, samples, channels]; "
                            "give the model one window of samples × channels")
    axis, rows, channels = view
    window, in_channels = rows, channels
    if not 1 <= hop <= window:
        raise NotStreamable(f"hop {hop} is outside 1..{window} (the window); choose a hop within the window")
    current, new = model.inputs[0], hop
    consumers: dict[int, int] = {}
    for op in model.operators:
        for i in op.inputs:
            consumers[i] = consumers.get(i, 0) + 1
    steps: list[StreamStep] = []
    ops = list(model.operators)
    reduced = None
    for n, op in enumerate(ops):
        if consumers.get(current, 0) != 1 or op.inputs[0] != current:
            raise _refuse(op, "the graph branches or merges along the time axis",
                          "use a single chain of layers up to the global pooling")
        out = model.tensor(op.outputs[0])
        if op.opcode in ALIAS_OPS:
            v = _time_view(out)
            if v is None or v[1:] != (rows, channels):
                raise _refuse(op, f"it reshapes [{rows} samples × {channels}] into {list(out.shape)}, so what follows "
                                  "sees the whole window at once (a Flatten before a Dense)", GLOBAL_POOL_FIX)
            axis, current = v[0], op.outputs[0]
            continue
        call = by_op.get(op.index)
        if op.opcode in WINDOW_OPS and call is not None:
            step = _window_step(op, call, axis, rows, new, hop // new)
            v = _time_view(out)
            steps.append(step)
            new, current = step.out_new, op.outputs[0]
            rows, channels = v[1], v[2]
            continue
        if op.opcode in REDUCE_OPS and call is not None:
            steps.append(_reduction_step(op, call, rows, channels, new))
            reduced = op.outputs[0]
            tail_ops = ops[n + 1:]
            break
        if op.opcode in ("PAD", "PADV2"):
            raise _refuse(op, "it pads every window's edges (causal or same padding), where a stream has real "
                              "samples", "use padding='valid'")
        raise _refuse(op, "it has no streaming rule (it would see the whole window)",
                      "use Conv1D / DepthwiseConv1D / SeparableConv1D with fused ReLU, pooling, "
                      "then global pooling and Dense layers")
    if reduced is None:
        raise NotStreamable("the model's output keeps the time axis (no global pooling closes it); " + GLOBAL_POOL_FIX)
    tail = tuple(by_op[op.index] for op in tail_ops if op.index in by_op)
    outputs = set(model.outputs)
    tail_tensors = tuple((c.output, model.tensor(c.output).nbytes) for c in tail if c.output not in outputs)
    if any(c.input_list is not None or c.output_list is not None for c in tail):
        raise NotStreamable("an op after the global pooling takes several inputs or outputs; "
                            "keep the head a chain (Dense, Softmax)")
    return StreamPlan(hop, window, in_channels, tuple(steps), tail, tail_tensors, reduced,
                      model.tensor(reduced).nbytes)


def hops_dividing(window: int) -> tuple[int, ...]:
    """H = W/2, W/4, W/8, W/16 where they are whole numbers (the benchmark's hops)."""
    return tuple(window // d for d in (2, 4, 8, 16) if window % d == 0 and window // d >= 1)


__all__ = ["NotStreamable", "StreamPlan", "StreamStep", "plan_stream", "hops_dividing"]
