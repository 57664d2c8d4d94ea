"""Render a model's streaming form (model_stream.h/.c) from its StreamPlan.

The streaming C calls the same kernels and the same constant arrays (model_data.c) as
the full-window model.c; only the parameter structs differ (time axes resized to the
history buffers) and all activations live in one static state array.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..render import render
from .codegen import DEFAULT_PREFIX, file_names, param_fields, tf_version
from .compiled import CompiledModel
from .lowering import Call
from .streamability import StreamPlan
from .. import __version__


def stream_file_names(prefix: str) -> dict[str, str]:
    """model_stream.h/.c for the default prefix, NAME_stream.h/.c otherwise."""
    stem = "model" if prefix == DEFAULT_PREFIX else prefix
    return {"h": f"{stem}_stream.h", "c": f"{stem}_stream.c"}


@dataclass(frozen=True)
class _StepView:
    describe: str
    ptype: str
    params_name: str
    fields: tuple[tuple[str, str, bool], ...]  # codegen.param_fields
    function: str
    src: str
    dst: str
    shift_buffer: str  # the destination's history buffer, shifted before the call ("" for none)
    keep_bytes: int
    drop_bytes: int
    running: dict | None = None  # td_running_mean_s8's state offsets and new rows


RUNTIME = ("td_running_mean_s8.c", "td_running_mean_s8.h")  # firmware/streaming/, beside the kernels


def runtime_files() -> list:
    """The streaming runtime's sources, copied next to the generated streaming C."""
    from ..resources import firmware_dir

    return [firmware_dir() / "streaming" / name for name in RUNTIME]


def _pad4(n: int) -> int:
    return (n + 3) // 4 * 4


def _params(call: Call, prefix: str, tag: str) -> tuple[str, tuple[tuple[str, str, bool], ...]]:
    return f"{prefix}_stream_op{call.op}_{tag}", param_fields(call, prefix)


def _layout(compiled: CompiledModel, plan: StreamPlan) -> tuple[list[int], dict[int, int], int, int]:
    """Byte offsets in the state array: each step's buffer, the tail's tensors (by alias group), the reduced row."""
    offsets, at = [], 0
    for step in plan.steps:
        offsets.append(at)
        at += _pad4(step.nbytes)
    reduced_at = at
    at += _pad4(plan.reduced_bytes)
    groups = {t: b for b in compiled.memory.buffers for t in b.tensors}
    slots: dict[int, int] = {}
    for tensor in groups[plan.reduced_tensor].tensors:
        slots[tensor] = reduced_at
    for tensor, nbytes in plan.tail_tensors:
        buffer = groups[tensor]
        if buffer.place == "output" or tensor in slots:
            continue
        for alias in buffer.tensors:
            slots[alias] = at
        at += _pad4(nbytes)
    return offsets, slots, reduced_at, at


def render_stream_sources(compiled: CompiledModel, plan: StreamPlan, prefix: str = DEFAULT_PREFIX) -> dict[str, str]:
    """The streaming files' names and contents (nothing written)."""
    names, model_files = stream_file_names(prefix), file_names(prefix)
    offsets, slots, reduced_at, size = _layout(compiled, plan)
    groups = {t: b for b in compiled.memory.buffers for t in b.tensors}
    steps = []
    for i, step in enumerate(plan.steps):
        params_name, fields = _params(step.call, prefix, "step")
        if step.dsp_scratch:  # the DSP GEMM path
            fields += (("scratch", f"{prefix}_stream_scratch", True),)
        src = f"state + {offsets[i] + (step.rows - step.view_rows) * step.channels}"
        if step.reduction:
            dst, shift, keep, drop = f"state + {reduced_at}", "", 0, 0
        else:
            nxt = plan.steps[i + 1]
            dst = f"state + {offsets[i + 1] + nxt.keep * nxt.channels}"
            shift = f"state + {offsets[i + 1]}"
            keep, drop = nxt.keep * nxt.channels, nxt.new_rows * nxt.channels
        layer = f" ({step.call.layer})" if step.call.layer else ""
        describe = (f"op {step.call.op}: {step.call.opcode}{layer}: {step.out_new} new row(s) from the last "
                    f"{step.view_rows} of {step.rows} buffered, {step.call.macs} MACs")
        # One output row per call: arm-none-eabi-gcc 12 then proves the specialized depthwise kernel's
        # channel tail loop "invokes undefined behavior" (-Werror=aggressive-loop-optimizations, a false
        # positive on an empty loop); the callable kernel is the same code, not specialized.
        specialize = step.call.specialize and (step.reduction or step.out_new > 1)
        function = step.call.kernel + ("_impl" if specialize else "")
        running = None
        if step.ring_rows:
            at = offsets[i] + _pad4(step.rows * step.channels)
            running = {"sums": at, "pos": at + 4 * step.channels, "ring": at + 4 * step.channels + 4,
                       "rows": step.new_rows}
            describe = (f"op {step.call.op}: {step.call.opcode}{layer}: {step.new_rows} new row(s) into the "
                        f"running sums of the last {step.ring_rows}")
        steps.append(_StepView(describe, step.call.ptype, params_name, fields, function, src, dst, shift, keep, drop,
                               running))

    def place(tensor: int) -> str:
        if groups[tensor].place == "output":
            return "output"
        return f"state + {slots[tensor]}"

    tail = []
    for call in plan.tail:
        params_name, fields = _params(call, prefix, "tail")
        layer = f" ({call.layer})" if call.layer else ""
        tail.append(_StepView(f"op {call.op}: {call.opcode}{layer}, {call.macs} MACs", call.ptype, params_name,
                              fields, call.kernel + ("_impl" if call.specialize else ""), place(call.input),
                              place(call.output), "", 0, 0))
    first = plan.steps[0]
    context = {
        "tool_version": __version__, "tf_version": tf_version(), "sha256": compiled.model.sha256,
        "p": prefix, "P": prefix.upper(), "h_file": names["h"], "model_h_file": model_files["h"],
        "data_h_file": model_files["data_h"], "guard": f"{prefix.upper()}_STREAM_H",
        "hop": plan.hop, "window": plan.window, "channels": plan.in_channels, "chunks": plan.chunks,
        "front_pad": plan.chunks * plan.hop - plan.window, "state_size": size,
        "macs_per_hop": plan.macs_per_hop(),
        "input_buffer": offsets[0], "input_keep": first.keep * first.channels,
        "input_tail": offsets[0] + first.keep * first.channels,
        "steps": steps, "tail": tail, "headers": sorted({s.call.header for s in plan.steps}),
        "scratch_words": plan.dsp_scratch_bytes // 4,
    }
    return {name: render(f"engine/{template}", file=name, **context)
            for template, name in (("model_stream.h.j2", names["h"]), ("model_stream.c.j2", names["c"]))}


def stream_main_source(prefix: str = DEFAULT_PREFIX) -> str:
    """A stdin → stdout harness: recordings in, one output per window of each recording out (check.py's twin)."""
    return render("engine/stream_check_main.c.j2", p=prefix, P=prefix.upper(), h_file=stream_file_names(prefix)["h"],
                  model_h_file=file_names(prefix)["h"])


__all__ = ["render_stream_sources", "stream_file_names", "stream_main_source"]
