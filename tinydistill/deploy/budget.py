"""Does the int8 student fit a target? Flash, peak RAM and latency against limits, with a verdict.

- flash = weights and biases + per-channel requantization constants and generated tables
  (SOFTMAX's exp table) + an estimate of the generated code per op kind (targets.toml [code], its source stated there);
- peak RAM = the arena the generated C declares for the target's build (engine.compile's liveness plan; on
  cores with the DSP extension it holds the DSP kernels' scratch too) + the firmware's state (firmware_state.py:
  sizeof(td_app_t), which holds the mirrored window ring of 2 × W × C int8 that the model reads
  in place, the outputs, the smoothing history and the output line, plus the serial reader's
  state and line buffer, by C's layout rules for the 32-bit targets) + the stack of one inference
  (measured on the emulated cores, else targets.toml's [stack] estimate);
- latency = Σ cost-model cycles of the ops / the target's clock.
Without explicit limits, the target's own flash and SRAM are the limits (latency: none).

When the student streams at the run's hop (engine_mode.py), the firmware runs the streaming
engine: latency is then one hop's (the same cost model over the per-hop rows: each time-local
op's new rows, the running sums of the global pooling, the head), and the streaming state
(history rows of every layer) replaces the arena in peak RAM; the full-window figures stay
beside them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from . import analysis, firmware_state, targets
from .engine_mode import FULL_WINDOW, EngineMode, engine_mode
from .. import units
from ..errors import TinyDistillError

# firmware/stream/td_stream.h writes each sample twice into a ring of 2·W samples.
STREAM_RING_COPIES = 2


@dataclass(frozen=True)
class BudgetRow:
    """One op: the analysis row plus its estimated cycles on the target."""

    row: analysis.LayerRow
    cycles: float

    @property
    def name(self) -> str:
        return self.row.layer or f"#{self.row.index}"


@dataclass(frozen=True)
class BudgetReport:
    """Flash, RAM and latency of one int8 model on one target, against limits."""

    target: targets.Target
    analysis: analysis.ModelAnalysis
    rows: tuple[BudgetRow, ...]
    code_bytes: int
    stack_bytes: int
    max_flash: int
    max_ram: int
    max_latency: float | None
    model_path: str | None = None
    smooth_n: int = 1  # inferences smoothed over: the firmware keeps that many output vectors
    engine: EngineMode | None = None  # None: no hop known (a bare .tflite), the full window
    hop_rows: tuple[BudgetRow, ...] = ()  # the streaming engine's ops, one hop's work each

    @property
    def streaming(self) -> bool:
        return self.engine is not None and self.engine.streaming

    @property
    def stream_state_bytes(self) -> int:
        """The streaming engine's static state (history rows, running sums, the head's activations, and
        on a core with the DSP kernels their convolution scratch); 0 otherwise."""
        return self.engine.plan.state_for(self.target.dsp) if self.streaming else 0

    @property
    def arena_bytes(self) -> int:
        """The arena of the target's build (with the DSP kernels' scratch only where its core takes them)."""
        return self.analysis.arena_for(self.target.dsp)

    @property
    def full_ram_bytes(self) -> int:
        return self.arena_bytes + self.state_bytes + self.stack_bytes

    @property
    def full_cycles(self) -> float:
        """One inference of the full-window engine."""
        return sum(r.cycles for r in self.rows)

    @property
    def hop_cycles(self) -> float:
        return sum(r.cycles for r in self.hop_rows)

    @property
    def hop_macs(self) -> int:
        return sum(r.row.macs for r in self.hop_rows)

    @property
    def first_window_cycles(self) -> float:
        """The streaming engine's first window after a reset: W/H hops of the time-local ops, the head once."""
        plan = self.engine.plan
        steps = sum(r.cycles for r in self.hop_rows[:len(plan.steps)])
        return plan.chunks * steps + sum(r.cycles for r in self.hop_rows[len(plan.steps):])

    @property
    def state_bytes(self) -> int:
        """The firmware's static state: td_app_t and the serial reader (firmware_state.py)."""
        a = self.analysis
        channels = a.input_shape[-1] if a.input_shape else 1
        return firmware_state.firmware_state_bytes(a.input_bytes // channels, channels, a.output_bytes,
                                                   self.smooth_n)

    @property
    def weight_bytes(self) -> int:
        return self.analysis.weight_bytes

    @property
    def quant_bytes(self) -> int:
        return self.analysis.quant_bytes

    @property
    def flash_bytes(self) -> int:
        return self.weight_bytes + self.quant_bytes + self.code_bytes

    @property
    def window_bytes(self) -> int:
        """The streaming ring: 2 × W × C int8 (mirrored so that the last window is contiguous)."""
        return STREAM_RING_COPIES * self.analysis.input_bytes

    @property
    def ram_bytes(self) -> int:
        """Peak RAM of the mode the firmware runs (the streaming state replaces the unlinked arena)."""
        if self.streaming:
            return self.stream_state_bytes + self.state_bytes + self.stack_bytes
        return self.full_ram_bytes

    @property
    def cycles(self) -> float:
        """Cycles of one inference in the mode the firmware runs: a hop when it streams."""
        return self.hop_cycles if self.streaming else self.full_cycles

    @property
    def latency_s(self) -> float:
        return self.cycles / self.target.clock_hz

    @property
    def over(self) -> dict[str, bool]:
        return {"flash": self.flash_bytes > self.max_flash, "ram": self.ram_bytes > self.max_ram,
                "latency": self.max_latency is not None and self.latency_s > self.max_latency}

    @property
    def ok(self) -> bool:
        return not any(self.over.values())

    def _flash_culprit(self) -> BudgetRow:
        return max(self.rows, key=lambda r: r.row.weight_bytes + r.row.quant_bytes)

    def _ram_culprit(self) -> BudgetRow:
        return self.rows[self.analysis.peak_step]

    def _latency_culprit(self) -> BudgetRow:
        return max(self.hop_rows if self.streaming else self.rows, key=lambda r: r.cycles)

    def verdict(self) -> str:
        """One line per budget: within, or by how much it is over and which layer dominates."""
        if self.ok:
            latency = "latency per hop" if self.streaming else "latency"
            lat = f", {latency} {units.format_time(self.latency_s)}" if self.max_latency is None else ""
            return (f"fits {self.target.name}: flash {units.format_size(self.flash_bytes)} of "
                    f"{units.format_size(self.max_flash)}, RAM {units.format_size(self.ram_bytes)} of "
                    f"{units.format_size(self.max_ram)}{lat}"
                    + (f", {latency} {units.format_time(self.latency_s)} of {units.format_time(self.max_latency)}"
                       if self.max_latency is not None else ""))
        lines = [f"does NOT fit {self.target.name}:"]
        if self.over["flash"]:
            r = self._flash_culprit()
            layer_bytes = r.row.weight_bytes + r.row.quant_bytes
            head = (f"  flash {units.format_size(self.flash_bytes)} > {units.format_size(self.max_flash)} "
                    f"(over by {units.format_size(self.flash_bytes - self.max_flash)}); ")
            if self.code_bytes >= layer_bytes:
                kinds = len({x.row.kind for x in self.rows} - {"reshape"})
                lines.append(head + f"the generated code dominates ({units.format_size(self.code_bytes)} for "
                             f"{kinds} kinds of op; the largest layer, {r.name!r}, holds "
                             f"{units.format_size(layer_bytes)}): use fewer kinds of layers or a larger flash")
            else:
                lines.append(head + f"layer {r.name!r} ({r.row.op}) dominates with {units.format_size(layer_bytes)} "
                             f"of weights and constants: make it narrower")
        if self.over["ram"] and self.streaming:
            lines.append(f"  RAM {units.format_size(self.ram_bytes)} > {units.format_size(self.max_ram)} "
                         f"(over by {units.format_size(self.ram_bytes - self.max_ram)}); the streaming state "
                         f"{units.format_size(self.stream_state_bytes)} (history rows of every layer at hop "
                         f"{self.engine.hop}) dominates: export with --no-streaming (arena "
                         f"{units.format_size(self.arena_bytes)}), a smaller hop, or fewer channels")
        elif self.over["ram"]:
            r = self._ram_culprit()
            lines.append(f"  RAM {units.format_size(self.ram_bytes)} > {units.format_size(self.max_ram)} "
                         f"(over by {units.format_size(self.ram_bytes - self.max_ram)}); the peak is at layer "
                         f"{r.name!r} ({r.row.op}, output {units.format_size(r.row.activation_bytes)}, window "
                         f"{units.format_size(self.window_bytes)}): fewer channels there, a stride, or a shorter window")
        if self.over["latency"]:
            r = self._latency_culprit()
            share = r.cycles / self.cycles * 100 if self.cycles else 0
            per = " per hop" if self.streaming else ""
            lines.append(f"  latency{per} {units.format_time(self.latency_s)} > {units.format_time(self.max_latency)}; "
                         f"layer {r.name!r} ({r.row.op}, {r.row.macs:,} MACs{per}) takes {share:.0f} % of the time: "
                         f"reduce its MACs or choose a faster target")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "target": self.target.name, "ok": self.ok, "model": self.model_path,
            "limits": {"flash": self.max_flash, "ram": self.max_ram, "latency_s": self.max_latency},
            "flash": {"total": self.flash_bytes, "weights": self.weight_bytes, "quantization": self.quant_bytes,
                      "code_estimate": self.code_bytes, "code_source": targets.CODE_SIZE.source},
            "ram": {"total": self.ram_bytes, "arena": self.arena_bytes, "firmware_state": self.state_bytes,
                    "window": self.window_bytes,  # window and output are part of firmware_state
                    "output": self.analysis.output_bytes, "stack": self.stack_bytes,
                    "stack_source": self.target.stack_source},
            "latency": {"seconds": self.latency_s, "cycles": self.cycles, "clock_hz": self.target.clock_hz,
                        "cost_source": self.target.cost.source},
            "params": self.analysis.params, "macs": self.analysis.macs, "adds": self.analysis.adds,
            "layers": [dict(r.row.as_dict(), cycles=r.cycles) for r in self.rows],
            "over": self.over, "verdict": self.verdict(),
            # additive: which engine the figures above are for, and the other engine's beside them
            "engine": self.engine.as_dict() if self.engine is not None else {"mode": FULL_WINDOW, "reason":
                                                                             "no hop known (a model file)", "hop": None},
            "full_window": {"cycles": self.full_cycles, "seconds": self.full_cycles / self.target.clock_hz,
                            "macs": self.analysis.macs, "ram_total": self.full_ram_bytes,
                            "arena": self.arena_bytes},
            "streaming": self._streaming_dict(),
        }

    def _streaming_dict(self) -> dict | None:
        if not self.streaming:
            return None
        clock = self.target.clock_hz
        return {"hop": self.engine.hop, "macs_per_hop": self.hop_macs, "cycles_per_hop": self.hop_cycles,
                "seconds_per_hop": self.hop_cycles / clock, "first_window_cycles": self.first_window_cycles,
                "state_bytes": self.stream_state_bytes,
                "extra_ram_bytes": self.stream_state_bytes - self.arena_bytes,
                "layers": [dict(op=r.row.op, layer=r.row.layer, index=r.row.index, macs=r.row.macs, adds=r.row.adds,
                                output_elements=r.row.output_elements, cycles=r.cycles) for r in self.hop_rows]}


def code_bytes(rows, model: targets.CodeSizeModel | None = None) -> int:
    """The code-size estimate (`model`, default the measured one) for the op kinds a model uses (each
    kernel once) plus one call site per op of its kind."""
    model = model or targets.CODE_SIZE
    kinds = {r.kind for r in rows}
    calls = sum(model.call_bytes(r.kind) for r in rows if r.kind != "reshape")
    return model.runtime + sum(model.bytes_for(k) for k in sorted(kinds)) + calls


def _resolve(model) -> tuple[object, list[str] | None, str | None]:
    """(model for analysis, Keras layer names if known, path shown) from a run dir, .tflite path or bytes."""
    from ..rundir import open_run

    if isinstance(model, (bytes, bytearray)):
        return bytes(model), None, None
    path = Path(model)
    if path.is_dir():
        run = open_run(path)
        tflite = run.int8_model()
        names = analysis.keras_layer_names(run.file("student.keras")) if run.file("student.keras").is_file() else None
        return tflite, names, str(tflite)
    if not path.is_file():
        raise TinyDistillError(f"{path} is neither a run directory nor a .tflite file; pass one of them")
    return path, None, str(path)


def _hop_rows(a: analysis.ModelAnalysis, plan, tgt: targets.Target) -> tuple[BudgetRow, ...]:
    """The streaming engine's work in one hop, as analysis rows costed by the full window's cost model."""
    by_index = {r.index: r for r in a.rows}
    out = []
    for step in plan.steps:
        row = by_index[step.call.op]
        if step.reduction:
            # MEAN keeps running sums: a hop adds its new rows and removes as many; REDUCE_MAX rescans its rows
            adds = 2 * step.new_rows * step.channels if step.ring_rows else row.adds
            hop_row = replace(row, adds=adds)
        else:
            full_rows = max(1, row.output_elements // max(1, step.out_channels))
            hop_row = replace(row, macs=step.call.macs, adds=row.adds * step.out_new // full_rows,
                              output_elements=step.out_new * step.out_channels,
                              activation_bytes=step.out_new * step.out_channels)
        out.append(hop_row)
    out += [by_index[call.op] for call in plan.tail]
    return tuple(BudgetRow(r, tgt.cost.cost(r.kind).cycles(r.macs, r.adds, r.output_elements)) for r in out)


def _run_hop(run_dir_or_tflite) -> int | None:
    """The hop the exported app runs the model at: the run's; None for a model file."""
    if isinstance(run_dir_or_tflite, (bytes, bytearray)) or not Path(run_dir_or_tflite).is_dir():
        return None
    from ..rundir import open_run

    return open_run(run_dir_or_tflite).run_config.hop


def check_budget(run_dir_or_tflite, target, max_flash=None, max_ram=None, max_latency=None,
                 smooth_n: int = 1, layer_names: list[str] | None = None, hop: int | None = None,
                 engine: str = "auto") -> BudgetReport:
    """Budget of the int8 student (a quantized run directory, a .tflite path or its bytes) on `target`.

    Limits accept bytes/seconds or strings ("64K", "5ms"); the target's flash and SRAM are the defaults.
    `smooth_n` is export's --smooth-n (the firmware keeps that many output vectors).
    `layer_names` names the rows of a model given as bytes (Keras layer names). A run directory
    without student_int8.tflite is refused: run `tinydistill quantize RUN` first.
    `hop` (default: a run's own; none for a model file) and `engine` (engine_mode.REQUESTS) decide
    whether the figures checked are the streaming engine's per hop or the full window's.
    """
    tgt = target if isinstance(target, targets.Target) else targets.get_target(target)
    model, names, shown = _resolve(run_dir_or_tflite)
    names = names or layer_names
    a = analysis.analyze(model, names)
    rows = tuple(BudgetRow(r, tgt.cost.cost(r.kind).cycles(r.macs, r.adds, r.output_elements)) for r in a.rows)
    hop = hop if hop is not None else _run_hop(run_dir_or_tflite)
    mode = engine_mode(a.compiled, hop, engine) if hop is not None else None
    hop_rows = _hop_rows(a, mode.plan, tgt) if mode is not None and mode.streaming else ()
    return BudgetReport(
        target=tgt, analysis=a, rows=rows, code_bytes=code_bytes(a.rows), stack_bytes=tgt.stack_bytes,
        max_flash=tgt.flash_bytes if max_flash is None else units.parse_size(max_flash),
        max_ram=tgt.sram_bytes if max_ram is None else units.parse_size(max_ram),
        max_latency=None if max_latency is None else units.parse_time(max_latency), model_path=shown,
        smooth_n=smooth_n, engine=mode, hop_rows=hop_rows)


def _provenance(kinds: set[str], measured: frozenset[str]) -> str:
    """"measured", "estimate" or "partly measured" for the op kinds a model uses."""
    kinds = kinds - {"reshape"}
    if kinds <= measured:
        return "measured"
    return "partly measured" if kinds & measured else "estimate"


def _cycle_basis(target) -> str:
    """What a measured cycle means on `target`'s emulated core."""
    from ..emu.platforms import PLATFORMS

    plat = PLATFORMS.get(target.emu_platform)
    if plat is not None and plat.cycle_model:
        return ", Cortex-M4 TRM cycle estimate at zero flash wait states"
    return ", 1 cycle per instruction"


def format_report(report: BudgetReport) -> str:
    """The per-layer table, the totals and the verdict."""
    def shape(s):
        return "x".join(map(str, s)) if s else "-"

    header = f"{'#':>3} {'op':<18}{'layer':<22}{'input':>12}{'output':>12}{'params':>8}{'MACs':>10}{'act B':>8}{'cycles':>10}"
    lines = [f"target {report.target.name}: {report.target.board}, {report.target.core} at "
             f"{report.target.clock_hz / 1e6:g} MHz", header, "-" * len(header)]
    for r in report.rows:
        x = r.row
        ins = ",".join(shape(s) for s in x.input_shapes) or "-"
        lines.append(f"{x.index:>3} {x.op:<18}{(r.name)[:21]:<22}{ins:>12}{shape(x.output_shape):>12}{x.params:>8,}"
                     f"{x.macs:>10,}{x.activation_bytes:>8,}{r.cycles:>10,.0f}")
    a = report.analysis
    kinds = {r.kind for r in a.rows}
    code_tag = _provenance(kinds, targets.CODE_SIZE.measured_kinds)
    cost_tag = _provenance(kinds, report.target.cost.measured_kinds)
    scratch = " with the DSP kernels' scratch" if report.arena_bytes != a.arena_bytes else ""
    lines += [
        "-" * len(header),
        f"parameters {a.params:,}   MACs {a.macs:,}   additions/comparisons {a.adds:,}",
        *_streaming_lines(report, cost_tag),
        f"flash   {units.format_size(report.flash_bytes):>10}  = weights {report.weight_bytes:,} B + quantization "
        f"{report.quant_bytes:,} B + code ~{report.code_bytes:,} B (kernels {code_tag})   limit {units.format_size(report.max_flash)}",
        f"RAM     {units.format_size(report.ram_bytes):>10}  = "
        + (f"streaming state {report.stream_state_bytes:,} B (replaces the arena) + firmware " if report.streaming
           else f"arena {report.arena_bytes:,} B (liveness plan{scratch}) + firmware ")
        + f"state {report.state_bytes:,} B (td_app_t with window ring {report.window_bytes:,} B and output "
        f"{a.output_bytes:,} B, serial reader) + stack {report.stack_bytes:,} B ({report.target.stack_source.split(':')[0]})   "
        f"limit {units.format_size(report.max_ram)}",
        f"latency {units.format_time(report.latency_s):>10}  = {report.cycles:,.0f} cycles"
        f"{' per hop' if report.streaming else ''} at "
        f"{report.target.clock_hz / 1e6:g} MHz ({cost_tag}{_cycle_basis(report.target) if cost_tag != 'estimate' else ''})"
        + (f"   limit {units.format_time(report.max_latency)}" if report.max_latency is not None else ""),
        report.verdict(),
    ]
    return "\n".join(lines)


def _streaming_lines(report: BudgetReport, cost_tag: str) -> list[str]:
    """The engine the firmware runs and, when it streams, one hop's work beside the full window's."""
    if report.engine is None:
        return []
    if not report.streaming:
        return [f"engine  full window: {report.engine.reason}"]
    clock = report.target.clock_hz
    hop, full = report.engine.hop, report.full_cycles
    lines = [f"engine  streaming: {report.engine.reason}",
             f"  per hop of {hop} samples ({cost_tag} cost model, the full window's applied to each op's new rows):"]
    for r in report.hop_rows:
        lines.append(f"  {r.row.index:>3} {r.row.op:<18}{r.name[:21]:<22}{r.row.output_elements:>8,} new outputs"
                     f"{r.row.macs:>10,} MACs{r.cycles:>10,.0f} cycles")
    lines += [
        f"  per hop {report.hop_macs:,} MACs, {report.hop_cycles:,.0f} cycles "
        f"({units.format_time(report.hop_cycles / clock)}); full window {report.analysis.macs:,} MACs, {full:,.0f} "
        f"cycles ({units.format_time(full / clock)}): {full / max(report.hop_cycles, 1):.1f}x fewer cycles per hop",
        f"  first window after a reset: {report.first_window_cycles:,.0f} cycles ({report.engine.plan.chunks} hops "
        f"and the head once)",
        f"  streaming state {report.stream_state_bytes:,} B replaces the arena {report.arena_bytes:,} B "
        f"({report.stream_state_bytes - report.arena_bytes:+,} B); full-window RAM would be "
        f"{units.format_size(report.full_ram_bytes)}",
    ]
    return lines


def warn_if_over_budget(model, target, limits: dict | None = None, layer_names: list[str] | None = None) -> str | None:
    """Called by `train` at the end: warn on stderr when the student will not fit; return the warning.

    `model` is the int8 model (bytes or path; `train` converts in memory and writes nothing);
    `limits` may hold max_flash / max_ram / max_latency (numbers or strings); no target, no check.
    """
    import click

    if not target:
        return None
    limits = {k: v for k, v in (limits or {}).items() if v is not None and k in ("max_flash", "max_ram", "max_latency")}
    report = check_budget(model if isinstance(model, (bytes, bytearray)) else os.fspath(model), target, **limits,
                          layer_names=layer_names)
    if report.ok:
        return None
    message = f"Warning: the student will not fit: {report.verdict()}"
    click.echo(message, err=True)
    return message
