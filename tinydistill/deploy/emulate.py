"""`tinydistill emulate`: run an exported project's app on a recorded stream and check it.

The project's app.c, model and runtime are built with an emulation main for the
target's core (QEMU where one exists, the host otherwise or on request), fed the
stream through a file (semihosting in QEMU), and every inference's raw int8 outputs
and decision are compared with the Python streaming reference. A project that runs the
streaming engine is measured per hop: each recording's first window primes the engine
(W/H hops at once) and is counted apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__, atomic, emu
from ..errors import CheckFailed, TinyDistillError
from .engine_mode import FULL_WINDOW, STREAMING
from .export import read_manifest
from .layout import Layout, from_manifest
from ..render import render
from ..data.stream_csv import device_lines, load_stream
from .streaming import Inference, StreamSpec, accuracy, reference
from .targets import get_target

ON = ("host", "qemu")
BUILD_DIR = ".tinydistill/emulate"
# Files of src/ that only a board needs: the board mains and the user's sensor hook.
BOARD_ONLY = ("main_", "sensor.c")


@dataclass(frozen=True)
class EmulationReport:
    """How the firmware's app did on a recorded stream, against the Python reference."""

    project: Path
    target: str
    platform: str
    stream: Path
    samples: int
    recordings: int
    expected: int  # inferences the reference makes
    received: int  # output lines the firmware printed
    matched: int  # inferences whose t, raw outputs and decision all agree
    mismatches: tuple[str, ...]  # the first few disagreements, described
    accuracy: float | None  # the firmware's decisions against the stream's labels
    instructions: tuple[int, ...] = ()  # per inference, exact (QEMU plugin), empty on the host
    clock_hz: int = 0
    flash: int = 0
    ram_static: int = 0  # .data + .bss
    stack_used: int | None = None  # high-water mark of the emulated stack (None on the host)
    elf: Path = field(default=Path())
    app_flash: int = 0  # the objects built from the project's src/: model, kernels, runtime, app
    app_ram: int = 0
    # per inference, the Cortex-M4 cycle estimate (TRM timings, zero flash wait states); M4 only
    cycles: tuple[int, ...] = ()
    decisions: tuple[Inference, ...] = ()  # the firmware's, in order (raw outputs and score as the reference's)
    engine: str = FULL_WINDOW  # the engine the app runs (the manifest's)
    hop: int = 0
    first_windows: tuple[bool, ...] = ()  # per inference: the first window of its recording

    @property
    def streaming(self) -> bool:
        return self.engine == STREAMING

    def _split(self, values: tuple[int, ...], first: bool) -> list[int]:
        return [v for v, f in zip(values, self.first_windows) if f == first]

    @property
    def instructions_per_hop(self) -> float | None:
        """Streaming engine: the mean over every hop after each recording's first window."""
        hops = self._split(self.instructions, False) if self.streaming else []
        return sum(hops) / len(hops) if hops else None

    @property
    def instructions_first_window(self) -> float | None:
        """Streaming engine: the mean over each recording's first window (the engine primed from W samples)."""
        firsts = self._split(self.instructions, True) if self.streaming else []
        return sum(firsts) / len(firsts) if firsts else None

    @property
    def cycles_per_hop(self) -> float | None:
        hops = self._split(self.cycles, False) if self.streaming else []
        return sum(hops) / len(hops) if hops else None

    @property
    def agreement(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def ok(self) -> bool:
        return self.matched == self.expected == self.received

    @property
    def instructions_per_inference(self) -> float | None:
        return sum(self.instructions) / len(self.instructions) if self.instructions else None

    @property
    def latency_ms(self) -> float | None:
        """Implied latency at the target's clock, assuming one instruction per cycle."""
        ipi = self.instructions_per_inference
        return ipi / self.clock_hz * 1e3 if ipi is not None and self.clock_hz else None

    @property
    def cycles_per_inference(self) -> float | None:
        return sum(self.cycles) / len(self.cycles) if self.cycles else None


def choose_platform(target, on: str | None) -> str:
    """The emu platform for `target`: its QEMU core by default, the host when asked or when there is none."""
    if on is not None and on not in ON:
        raise TinyDistillError(f"--on {on!r} is not one of: {', '.join(ON)}")
    if on == "host":
        return "host"
    if target.emu_platform == "host":
        if on == "qemu":
            raise TinyDistillError(f"target {target.name} ({target.core}) has no emulator here; use --on host")
        return "host"
    return target.emu_platform


def parse_line(line: str) -> dict[str, str] | None:
    """The fields of one output line (`t=... label=... score=... us=... raw=...`), None for others."""
    if not line.startswith("t="):
        return None
    fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
    return fields if {"t", "label", "raw"} <= fields.keys() else None


def compare(expected: list[Inference], lines: list[str], relative_t: bool = False) -> tuple[int, list[str], list[str]]:
    """(matched, mismatch descriptions, received labels) of output lines against the reference."""
    got = [f for f in (parse_line(ln.strip()) for ln in lines) if f is not None]
    mismatches: list[str] = []
    matched = 0
    t0 = int(got[0]["t"]) - expected[0].t if relative_t and got and expected else 0
    for i, (exp, out) in enumerate(zip(expected, got)):
        raw = tuple(int(v) for v in out["raw"].split(",")) if out["raw"] else ()
        problems = []
        if int(out["t"]) - t0 != exp.t:
            problems.append(f"t={int(out['t']) - t0} (expected {exp.t})")
        if raw != exp.raw:
            problems.append(f"raw={out['raw']} (expected {','.join(map(str, exp.raw))})")
        if out["label"] != exp.label:
            problems.append(f"label={out['label']} (expected {exp.label})")
        if problems:
            mismatches.append(f"inference {i} at sample {exp.t}: " + ", ".join(problems))
        else:
            matched += 1
    if len(got) != len(expected):
        mismatches.append(f"the firmware printed {len(got)} inferences, the reference makes {len(expected)}")
    return matched, mismatches, [g["label"] for g in got]


def _layout(project: Path) -> Layout:
    return from_manifest(read_manifest(project))


def app_sources(project: Path, build: Path, platform: str) -> list[Path]:
    """The C sources of the emulated app: the project's app and library without board files, plus the
    emulation main."""
    dirs = _layout(project).source_dirs(project)
    sources = sorted(p for d in dirs for p in d.glob("*.c") if not p.name.startswith(BOARD_ONLY))
    main = build / "main_emulate.c"
    atomic.write_text(main, render("project/main_emulate.c.j2",
                                   banner=f"Generated by tinydistill {__version__} for `tinydistill emulate` "
                                          f"on {platform}."))
    return [*sources, main]


def build_app(project_dir: str | os.PathLike, platform: str) -> Path:
    """Build the project's app with the emulation main for `platform`; returns the program."""
    project = Path(project_dir)
    build = project / BUILD_DIR / platform
    defines = ["TD_BENCH", "TD_BAUD=115200"] + (["TD_EMU_HOST"] if platform == "host" else [])
    return emu.build(platform, app_sources(project, build, platform),
                     include_dirs=_layout(project).source_dirs(project),
                     out=build / "app.elf", defines=defines, extra_cflags=["-ffp-contract=off"])


def emulate(project_dir: str | os.PathLike, stream: str | os.PathLike | None = None, on: str | None = None,
            timeout: float = 120.0, progress=None) -> EmulationReport:
    """Build and run the project's app on `stream` (default: the run's test split); compare with Python.

    `progress`, when given, is called with one line before the build and before the run.

    Raises CheckFailed when the program crashes, times out or fails; disagreements are
    reported (EmulationReport.ok is False) for the caller to turn into a failure.
    """
    project = Path(project_dir)
    manifest = read_manifest(project)
    target = get_target(manifest["target"])
    spec = StreamSpec.from_json(manifest["spec"])
    platform = choose_platform(target, on)
    if stream is None:
        if not manifest.get("stream"):
            raise TinyDistillError(f"{project} has no recorded stream (the run had no test_stream.csv); "
                                   "pass --stream FILE")
        stream = project / manifest["stream"]
    recorded = load_stream(stream, spec.channels)
    expected = reference(project / manifest["model"], spec, recorded)

    if progress is not None:
        progress(f"building {project}'s app for {platform}")
    elf = build_app(project, platform)
    if progress is not None:
        progress(f"running it on {len(recorded):,} samples ({len(expected):,} inferences)"
                 + (" in QEMU" if platform != "host" else ""))
    lines_file = elf.parent / "stream.txt"
    atomic.write_text(lines_file, "\n".join(device_lines(recorded)) + "\n")
    result = emu.run(platform, elf, args=[str(lines_file.resolve())], cwd=elf.parent, timeout=timeout,
                     count_instructions=platform != "host",
                     estimate_cycles=emu.get(platform).cycle_model is not None)
    if not result.ok:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-5:])
        raise CheckFailed(f"the app {result.describe()} on {platform} after "
                          f"{sum(1 for ln in result.stdout.splitlines() if ln.startswith('t='))} inferences:\n{tail}")
    lines = result.stdout.splitlines()
    matched, mismatches, labels = compare(expected, lines)
    stack = next((int(ln.split("=")[1]) for ln in lines if ln.startswith("# stack=")), None)
    sizes = emu.size(platform, elf)
    app_flash, app_ram = app_sizes(project, elf)
    regions = tuple(result.regions) if platform != "host" else ()
    if regions and len(regions) != len(expected):
        mismatches.append(f"{len(regions)} measured regions for {len(expected)} inferences")
    fw = [Inference(t=e.t, raw=e.raw, label=lab, score=0.0) for e, lab in zip(expected, labels)]
    engine = manifest.get("engine") or {}
    first = tuple(bool(recorded.starts[e.t - spec.window + 1]) for e in expected)
    return EmulationReport(
        project=project, target=target.name, platform=platform, stream=Path(stream), samples=len(recorded),
        recordings=recorded.recordings, expected=len(expected), received=len(labels), matched=matched,
        mismatches=tuple(mismatches[:5]), accuracy=accuracy(fw, recorded, spec), instructions=regions,
        cycles=tuple(result.region_cycles), clock_hz=target.clock_hz, flash=sizes.flash, ram_static=sizes.data + sizes.bss,
        stack_used=stack if platform != "host" else None, elf=elf, app_flash=app_flash, app_ram=app_ram,
        decisions=tuple(fw), engine=engine.get("mode", FULL_WINDOW), hop=spec.hop, first_windows=first,
    )


def app_sizes(project: Path, elf: Path) -> tuple[int, int]:
    """(flash, RAM) of the objects built from the project's src/ — what a board adds to its framework.

    RAM also counts the emulation main's statics: like a board main, it keeps the td_app_t and the serial reader.
    """
    names = {f"{p.stem}.o" for d in _layout(Path(project)).source_dirs(Path(project)) for p in d.glob("*.c")}
    sizes = emu.object_sizes(elf)
    mine = [s for name, s in sizes.items() if name in names]
    main = sizes.get("main_emulate.o")
    state = main.data + main.bss if main is not None else 0
    return sum(s.flash for s in mine), sum(s.data + s.bss for s in mine) + state


def format_report(r: EmulationReport) -> str:
    """The report as printed by the command line."""
    where = "natively on the host" if r.platform == "host" else f"in QEMU ({r.platform})"
    lines = [f"Emulated {r.target} app {where} on {r.stream} ({r.samples} samples, {r.recordings} recordings)",
             f"  agreement with the Python reference: {r.matched}/{r.expected} inferences "
             f"({100 * r.agreement:.1f} %), raw int8 outputs and decisions"]
    if r.accuracy is not None:
        lines.append(f"  accuracy on the stream's labels: {100 * r.accuracy:.1f} %")
    ipi = r.instructions_per_inference
    if r.streaming:
        lines.append(f"  engine: streaming, each hop of {r.hop} samples computes only their rows (model_stream.c)")
    if r.streaming and r.instructions_per_hop is not None:
        hops = r._split(r.instructions, False)
        lines.append(f"  instructions per hop: {r.instructions_per_hop:,.0f} (exact, QEMU instruction counter; "
                     f"{len(hops)} hops, min {min(hops):,}, max {max(hops):,}); first window of each recording: "
                     f"{r.instructions_first_window or 0:,.0f} (primes the engine from the whole window)")
        lines.append(f"  implied latency per hop at {r.clock_hz / 1e6:g} MHz: "
                     f"{r.instructions_per_hop / r.clock_hz * 1e3:.3f} ms (one instruction per cycle)")
        if r.cycles_per_hop is not None:
            lines.append(f"  estimated Cortex-M4 cycles per hop: {r.cycles_per_hop:,.0f} (TRM timings over the "
                         f"retired instructions, zero flash wait states): {r.cycles_per_hop / r.clock_hz * 1e3:.3f} ms "
                         f"at {r.clock_hz / 1e6:g} MHz")
    elif ipi is not None:
        lines.append(f"  instructions per inference: {ipi:,.0f} (exact, QEMU instruction counter; "
                     f"min {min(r.instructions):,}, max {max(r.instructions):,})")
        lines.append(f"  implied latency at {r.clock_hz / 1e6:g} MHz: {r.latency_ms:.3f} ms "
                     "(one instruction per cycle)")
        if r.cycles_per_inference is not None:
            cpi = r.cycles_per_inference
            lines.append(f"  estimated Cortex-M4 cycles per inference: {cpi:,.0f} (TRM timings over the retired "
                         f"instructions, zero flash wait states): {cpi / r.clock_hz * 1e3:.3f} ms at "
                         f"{r.clock_hz / 1e6:g} MHz")
    else:
        lines.append("  instructions per inference: not counted on the host")
    stack = f", stack used {r.stack_used:,} B" if r.stack_used is not None else ""
    lines.append(f"  model + runtime + app: flash {r.app_flash:,} B, RAM {r.app_ram:,} B static")
    lines.append(f"  whole ELF {r.elf}: flash {r.flash:,} B, RAM {r.ram_static:,} B static{stack} "
                 "(with the emulation main and the C library's stdio)")
    for m in r.mismatches:
        lines.append(f"  MISMATCH {m}")
    return "\n".join(lines)
