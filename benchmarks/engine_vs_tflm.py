"""The generated C engine against TensorFlow Lite Micro.

For the anchor model (benchmarks/anchors/conv1d_m4.tflite) and the basic-motions and
mnist1d students: generate the C, build it for Cortex-M4 (arm-none-eabi-gcc -O2
-mcpu=cortex-m4 -mfloat-abi=hard) and run it on QEMU mps2-an386, counting retired
instructions per inference exactly; compare its output with the reference
interpreter (BUILTIN_REF); measure arena, flash (model + kernels) and stack; time
the same C on the host against the LiteRT interpreter. TFLM's figures for the anchor
are the measured ones of benchmarks/anchors/README.md; its arena for the students comes from the
`tflite-micro` package's Python interpreter (a 64-bit build: pointers are 8 bytes, so
its arena is larger than on a 32-bit MCU; the anchor's row shows by how much).

    python benchmarks/engine_vs_tflm.py            # everything; writes RESULTS.md
    python benchmarks/engine_vs_tflm.py --anchor-only --no-write

Students are trained with `tinydistill.training.train` defaults and quantized like
`tinydistill quantize`, into runs/bench-<dataset> (reused when present).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks import results  # noqa: E402
from benchmarks.instrument import bracket_calls  # noqa: E402
from benchmarks.students import student_model  # noqa: E402
from tinydistill import emu, oracle  # noqa: E402

ANCHOR = ROOT / "benchmarks" / "anchors" / "conv1d_m4.tflite"
HARNESS = Path(__file__).resolve().parent / "engine_vs_tflm_main.c"
PLATFORM = "cortex-m4"
STUDENTS = ("basic-motions", "mnist1d")

# Measured for the anchor model (benchmarks/anchors/README.md): tflite-micro 90b983c2, Cortex-M4F,
# GCC 12.2.1, mps2-an386, retired instructions counted exactly.
TFLM_ANCHOR = {
    "instructions_ref": 580_319,
    "instructions_cmsis": 264_637,
    "arena": 4_068,
    "stack_invoke_ref": 664,
    "flash_ref": (12_349, 23_152, 6_776),  # framework, reference kernels, model flatbuffer
    "flash_cmsis": (12_195, 11_416 + 24_188, 6_776),  # framework, kernels + CMSIS-NN, model
}

# Objects of the generated folder that belong to the engine (model + kernels).
_ENGINE_OBJECT = re.compile(r"^(model|model_data|td_(?!bench|semihost).*)(__\d+)?\.o$")


@dataclass
class Measurement:
    name: str
    model_bytes: int
    ops: int
    windows: int
    regions: list[int]
    bit_exact: bool
    arena: int
    text: int  # model + kernels (objects of the generated folder)
    rodata: int
    flash_delta: int  # flash of the harness with the model minus with a no-op model
    stack: int  # stack high-water mark with the model minus with the no-op model
    functions: dict[str, int]
    host_ns: float
    litert_ns: float
    litert_ref_ns: float
    tflm_arena_64bit: int | None
    libc_extra: dict[str, int] = field(default_factory=dict)
    ops_counts: list[tuple[str, float]] = field(default_factory=list)
    # Every emulated core: platform -> (mean instructions, model + kernels flash, bit-exact)
    cores: dict[str, tuple[float, int, bool]] = field(default_factory=dict)
    region_cycles: list[int] = field(default_factory=list)  # Cortex-M4 estimate, zero flash wait states

    @property
    def mean_instructions(self) -> float:
        return float(np.mean(self.regions))

    @property
    def mean_cycles(self) -> float:
        return float(np.mean(self.region_cycles))


def _define(header: Path, name: str) -> int:
    m = re.search(rf"#define\s+{name}\s+\(?(\d+)", header.read_text())
    if not m:
        raise RuntimeError(f"{header} does not define {name}")
    return int(m.group(1))


def tflm_arena(model: bytes) -> int | None:
    """TFLM's arena for `model` from the tflite-micro Python interpreter (64-bit build)."""
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        return None
    interp = runtime.Interpreter.from_bytes(model, arena_size=256 * 1024)
    details = interp.get_input_details(0)
    interp.set_input(np.zeros(details["shape"], dtype=details["dtype"]), 0)
    interp.invoke()
    # print_allocations() writes to the C++ stderr: capture file descriptor 2.
    with tempfile.TemporaryFile() as capture:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            interp.print_allocations()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read().decode(errors="replace")
    m = re.search(r"Arena allocation total (\d+) bytes", text)
    return int(m.group(1)) if m else None


def _litert_ns(model: Path, inputs: np.ndarray, reference: bool, min_seconds: float) -> float:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    kwargs = {"experimental_op_resolver_type": OpResolverType.BUILTIN_REF} if reference else {}
    interp = Interpreter(model_path=str(model), num_threads=1, **kwargs)
    interp.allocate_tensors()
    index = interp.get_input_details()[0]["index"]
    for x in inputs:  # warm-up
        interp.set_tensor(index, x)
        interp.invoke()
    count, start = 0, time.perf_counter()
    while True:
        for x in inputs:
            interp.set_tensor(index, x)
            interp.invoke()
        count += len(inputs)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return elapsed * 1e9 / count


def _host_ns(elf: Path, work: Path, windows: int, seconds: float) -> float:
    """CPU time per inference of the host build, repeated until the run takes `seconds`."""
    repeat = 1
    while True:
        timed = emu.run("host", elf, args=["inputs.bin", "outputs_host.bin", str(repeat)], cwd=work)
        if not timed.ok:
            raise RuntimeError(f"the host run {timed.describe()}:\n{timed.stdout}{timed.stderr}")
        ns = float(timed.stdout.split()[1])
        if ns * repeat * windows >= seconds * 1e9 or repeat >= 1 << 20:
            return ns
        repeat *= 4


def _host_times(elf: Path, work: Path, model: Path, x: np.ndarray, rounds: int,
                seconds: float) -> tuple[float, float, float]:
    """Our C, LiteRT's default kernels and its reference kernels, interleaved over
    `rounds` rounds; the fastest round of each (the machine is shared, the minimum is
    the least disturbed)."""
    times: list[list[float]] = [[], [], []]
    for _ in range(rounds):
        times[0].append(_host_ns(elf, work, len(x), seconds))
        times[1].append(_litert_ns(model, x, False, seconds))
        times[2].append(_litert_ns(model, x, True, seconds))
    return min(times[0]), min(times[1]), min(times[2])


def measure(name: str, model_path: Path, work: Path, windows: int = 4, seed: int = 0,
            host_seconds: float = 0.2, rounds: int = 5, all_cores: bool = True) -> Measurement:
    """Every figure for one model (see the module docstring)."""
    from tinydistill.engine.codegen import generate
    from tinydistill.engine.reader import read

    model_bytes = model_path.read_bytes()
    gen = work / "gen"
    generate(model_path, gen)
    sources = sorted(gen.glob("*.c"))
    interp = oracle.interpreter(model_path)
    inp = interp.get_input_details()[0]
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, size=(windows, *inp["shape"]), dtype=np.int8)
    (work / "inputs.bin").write_bytes(x.tobytes())
    expected = oracle.run(model_path, x).reshape(windows, -1)

    elf = emu.build(PLATFORM, [*sources, HARNESS], include_dirs=[gen], out=work / "engine_m4.elf")
    noop = emu.build(PLATFORM, [*sources, HARNESS], include_dirs=[gen], out=work / "noop_m4.elf",
                     defines=["TD_BENCH_NOOP"])
    run = emu.run(PLATFORM, elf, args=["inputs.bin", "outputs.bin"], cwd=work, profile=True, estimate_cycles=True,
                  timeout=300)
    if not run.ok:
        raise RuntimeError(f"{name}: the Cortex-M4 run {run.describe()}:\n{run.stdout}{run.stderr}")
    got = np.frombuffer((work / "outputs.bin").read_bytes(), dtype=np.int8).reshape(windows, -1)
    run_noop = emu.run(PLATFORM, noop, args=["inputs.bin", "outputs_noop.bin"], cwd=work, profile=True, timeout=60)
    if not run_noop.ok:
        raise RuntimeError(f"{name}: the no-op run {run_noop.describe()}:\n{run_noop.stdout}")

    objects = emu.object_sizes(elf)
    engine = [s for n, s in objects.items() if _ENGINE_OBJECT.match(n)]
    noop_objects = emu.object_sizes(noop)
    libc_extra = {n: s.text + s.rodata for n, s in objects.items()
                  if "(" in n and n not in noop_objects and s.text + s.rodata}

    host_elf = emu.build("host", [*sources, HARNESS], include_dirs=[gen], out=work / "engine_host")
    host_ns, litert_ns, litert_ref_ns = _host_times(host_elf, work, model_path, x, rounds, host_seconds)
    host_out = np.frombuffer((work / "outputs_host.bin").read_bytes(), dtype=np.int8).reshape(windows, -1)

    return Measurement(
        name=name,
        model_bytes=len(model_bytes),
        ops=len(read(model_path).operators),
        windows=windows,
        regions=run.regions,
        bit_exact=bool(np.array_equal(got, expected) and np.array_equal(host_out, expected)),
        arena=_define(gen / "model.h", "TD_MODEL_ARENA_SIZE"),
        text=sum(s.text for s in engine),
        rodata=sum(s.rodata for s in engine),
        flash_delta=emu.size(PLATFORM, elf).flash - emu.size(PLATFORM, noop).flash,
        stack=_stack(run.stdout) - _stack(run_noop.stdout),
        # What the model adds to each function: the same harness with a no-op model
        # runs everything else.
        functions={f: n - run_noop.functions.get(f, 0) for f, n in run.functions.items()
                   if n > run_noop.functions.get(f, 0)},
        host_ns=host_ns,
        litert_ns=litert_ns,
        litert_ref_ns=litert_ref_ns,
        tflm_arena_64bit=tflm_arena(model_bytes),
        libc_extra=libc_extra,
        ops_counts=per_op(gen, work, windows),
        cores=every_core(gen, work, expected) if all_cores else {},
        region_cycles=run.region_cycles,
    )


# What a td_bench_begin/td_bench_end pair adds to a region on Cortex-M4: td_bench_begin's
# BX LR and the BL to td_bench_end (2 instructions); in cycles also the refills of the
# BL into td_bench_begin and of its BX LR: 1 + 1 + 2 + 1, one more when the return lands
# on a 32-bit instruction that is not word-aligned (the last BL's refill falls outside).
MARKER_INSTRUCTIONS = 2
MARKER_CYCLES = 5

_OP_COMMENT = re.compile(r"^\s*/\* (op \d+: [^*]*?)\s*\*/\s*$")


CORES = ("cortex-m0plus", "cortex-m4", "cortex-m7", "cortex-m33", "rv32")


def every_core(gen: Path, work: Path, expected: np.ndarray) -> dict[str, tuple[float, int, bool]]:
    """The same harness and model on every emulated core (-O2, each core's flags):
    mean instructions per inference, model + kernels flash, output equal to BUILTIN_REF."""
    sources = sorted(gen.glob("*.c"))
    out: dict[str, tuple[float, int, bool]] = {}
    for core in CORES:
        elf = emu.build(core, [*sources, HARNESS], include_dirs=[gen], out=work / "cores" / f"{core}.elf")
        run = emu.run(core, elf, args=["inputs.bin", f"outputs_{core}.bin"], cwd=work, count_instructions=True,
                      timeout=120)
        if not run.ok:
            raise RuntimeError(f"the {core} run {run.describe()}:\n{run.stdout}{run.stderr}")
        got = np.frombuffer((work / f"outputs_{core}.bin").read_bytes(), dtype=np.int8).reshape(expected.shape)
        flash = sum(s.text + s.rodata for n, s in emu.object_sizes(elf).items() if _ENGINE_OBJECT.match(n))
        out[core] = (float(np.mean(run.regions)), flash, bool(np.array_equal(got, expected)))
    return out


def per_op(gen: Path, work: Path, windows: int) -> list[tuple[str, float]]:
    """Mean instructions of each op (see per_op_counts)."""
    return [(label, instructions) for label, instructions, _ in per_op_counts(gen, work, windows)]


def per_op_counts(gen: Path, work: Path, windows: int) -> list[tuple[str, float, float]]:
    """Mean instructions and estimated Cortex-M4 cycles of each op: a copy of the
    generated model.c with a td_bench_begin/end pair around every kernel call, run on
    the same windows.

    It relies on the generated code's layout (an `/* op N: ... */` comment before each
    `status = kernel(...)` line); an empty list when that layout is not found. The
    markers cost 2 instructions per op (and the cycles of the call and return),
    subtracted here, and may perturb the compiler's choices slightly: the sum is
    compared with the plain build's count.
    """
    inst = work / "per_op"
    inst.mkdir(exist_ok=True)
    labels, lines = bracket_calls((gen / "model.c").read_text(), _OP_COMMENT)
    if not labels:
        return []
    (inst / "model.c").write_text("\n".join(lines) + "\n")
    sources = [inst / "model.c", *(p for p in sorted(gen.glob("*.c")) if p.name != "model.c")]
    elf = emu.build(PLATFORM, [*sources, HARNESS], include_dirs=[gen], out=inst / "per_op_m4.elf",
                    defines=["TD_BENCH_PER_OP"])
    run = emu.run(PLATFORM, elf, args=["inputs.bin", "outputs_per_op.bin"], cwd=work, count_instructions=True,
                  estimate_cycles=True, timeout=600)
    if not run.ok or len(run.regions) != windows * len(labels):
        raise RuntimeError(f"the per-op build {run.describe()} with {len(run.regions)} regions:\n{run.stdout}")
    counts = np.array(run.regions, dtype=np.float64).reshape(windows, len(labels)) - MARKER_INSTRUCTIONS
    cycles = np.array(run.region_cycles, dtype=np.float64).reshape(windows, len(labels)) - MARKER_CYCLES
    return list(zip(labels, counts.mean(axis=0).tolist(), cycles.mean(axis=0).tolist()))


def _stack(stdout: str) -> int:
    m = re.search(r"stack_used (\d+)", stdout)
    if not m:
        raise RuntimeError(f"the harness printed no stack figure:\n{stdout}")
    return int(m.group(1))


def _int(v: float) -> str:
    return f"{v:,.0f}"


def report(ms: list[Measurement]) -> str:
    """The Markdown body of the RESULTS.md section."""
    t = TFLM_ANCHOR
    anchor = next((m for m in ms if m.name == "anchor"), None)
    parts = [
        "Retired instructions per inference on Cortex-M4 (`arm-none-eabi-gcc -O2 -mcpu=cortex-m4 -mfloat-abi=hard "
        "-mfpu=fpv4-sp-d16`, QEMU `mps2-an386`, counted exactly by tinydistill's TCG plugin between "
        "`td_bench_begin()`/`td_bench_end()`, which adds 2 instructions of call overhead). Instructions, not cycles; "
        "the estimated cycles beside them apply the Cortex-M4 TRM's timings to the same retired instructions at zero "
        "flash wait states (tinydistill/emu/m4_cycles.h). "
        "Inputs: uniformly random int8 windows (seed 0).\n",
    ]
    if anchor:
        ratio_cmsis = anchor.mean_instructions / t["instructions_cmsis"]
        flash_engine = anchor.text + anchor.rodata
        rows = [
            ["instructions per inference (mean)", _int(anchor.mean_instructions), _int(t["instructions_ref"]),
             _int(t["instructions_cmsis"])],
            ["instructions per inference (each window)", " / ".join(_int(r) for r in anchor.regions), "", ""],
            ["estimated Cortex-M4 cycles per inference (TRM timings, zero flash wait states)",
             _int(anchor.mean_cycles), "", ""],
            ["arena bytes", _int(anchor.arena), _int(t["arena"]), "4,116"],
            ["stack in invoke (bytes)", _int(anchor.stack), _int(t["stack_invoke_ref"]), "1,244"],
            [".text + .rodata: model + kernels (+ framework)", f"{_int(flash_engine)} "
             f"({_int(anchor.text)} + {_int(anchor.rodata)})",
             f"{_int(sum(t['flash_ref']))} ({' + '.join(_int(v) for v in t['flash_ref'])})",
             f"{_int(sum(t['flash_cmsis']))} ({' + '.join(_int(v) for v in t['flash_cmsis'])})"],
            ["flash of the harness with the model minus with a no-op", _int(anchor.flash_delta), "", ""],
            ["output equals BUILTIN_REF (QEMU and host)", "yes" if anchor.bit_exact else "**NO**", "yes", "yes"],
        ]
        parts.append("### Anchor model (`benchmarks/anchors/conv1d_m4.tflite`, 16,624 MACs)\n")
        parts.append(results.markdown_table(["", "tinydistill engine", "TFLM reference", "TFLM + CMSIS-NN"], rows))
        parts.append(
            f"\nThe engine needs **{ratio_cmsis:.1%}** of TFLM + CMSIS-NN's instructions "
            f"({anchor.mean_instructions / 16_624:.1f} per MAC against 15.9) and "
            f"{anchor.mean_instructions / t['instructions_ref']:.1%} of the reference kernels'; "
            f"its model + kernels take {flash_engine / sum(t['flash_cmsis']):.1%} of TFLM + CMSIS-NN's flash. "
            "Flash of the engine is the sum of the generated folder's objects in the link map (model.o, "
            "model_data.o, td_*.o); the C library routines it pulls in besides the harness's: "
            + (", ".join(f"{n} {v} B" for n, v in sorted(anchor.libc_extra.items())) or "none") + ".\n")
        top = sorted(anchor.functions.items(), key=lambda kv: -kv[1])[:8]
        parts.append("\nWhere the anchor's instructions go (all windows together, per function, callees excluded, "
                     "minus the same harness's counts with a no-op model; kernels inlined into `td_model_invoke` "
                     "count there):\n")
        parts.append(results.markdown_table(["function", "instructions", "share of the regions"],
                                            [[f"`{n}`", _int(v), f"{v / sum(anchor.regions):.1%}"] for n, v in top]))
    tflm_ops = {"CONV_2D": [59_403, 52_301], "DEPTHWISE_CONV_2D": [42_947], "MEAN": [101_932],
                "FULLY_CONNECTED": [794], "SOFTMAX": [2_345]}
    for m in ms:
        if not m.ops_counts:
            continue
        total = sum(c for _, c in m.ops_counts)
        parts.append(f"\n### Per op: {m.name}\n\nMean over the windows, from a build with a marker pair around "
                     f"every kernel call (markers subtracted; the ops sum to {_int(total)} against "
                     f"{_int(m.mean_instructions)} unmarked)"
                     + (", against TFLM + CMSIS-NN's per-op counts from benchmarks/anchors/README.md" if m.name == "anchor"
                        else "") + ":\n\n")
        peers = {k: list(v) for k, v in tflm_ops.items()}
        rows = []
        for label, count in m.ops_counts:
            kind = label.split(": ")[1].split()[0].rstrip(",")
            macs = re.search(r"(\d+) MACs", label)
            per_mac = f"{count / int(macs.group(1)):.1f}" if macs and int(macs.group(1)) else ""
            row = [label.split(": ", 1)[1], _int(count), per_mac]
            if m.name == "anchor":
                peer = peers.get(kind, [])
                row.append(_int(peer.pop(0)) if peer else "")
            rows.append(row)
        header = ["op", "instructions", "per MAC"] + (["TFLM + CMSIS-NN"] if m.name == "anchor" else [])
        parts.append(results.markdown_table(header, rows))
    rows = []
    for m in ms:
        macs = sum(int(x.group(1)) for label, _ in m.ops_counts for x in [re.search(r"(\d+) MACs", label)] if x)
        rows.append([
            m.name, _int(m.model_bytes), m.ops, _int(m.mean_instructions),
            f"{m.mean_instructions / macs:.1f}" if macs else "n/a", _int(m.mean_cycles), _int(m.arena),
            _int(m.tflm_arena_64bit) if m.tflm_arena_64bit else "n/a", _int(m.text + m.rodata), _int(m.stack),
            "yes" if m.bit_exact else "**NO**",
            f"{m.host_ns / 1000:.1f}", f"{m.litert_ns / 1000:.1f}", f"{m.litert_ns / m.host_ns:.1f}×",
            f"{m.litert_ref_ns / m.host_ns:.1f}×",
        ])
    parts.append("\n### Every model\n")
    parts.append(results.markdown_table(
        ["model", "tflite bytes", "ops", "M4 instructions / inference", "per MAC",
         "est. M4 cycles (zero wait states)", "arena B", "TFLM arena B (64-bit)",
         "model + kernels flash B", "stack B", "bit-exact", "host µs (our C)", "host µs (LiteRT)",
         "LiteRT time / ours", "LiteRT BUILTIN_REF time / ours"], rows))
    with_cores = [m for m in ms if m.cores]
    if with_cores:
        parts.append("\n### Every emulated core\n\nThe same harness and generated C at -O2 on each core "
                     "(M0+ code on mps2-an385, M4 mps2-an386, M7 mps2-an500, M33 mps2-an505, rv32imc on virt): "
                     "instructions per inference (mean), and in brackets the model + kernels' .text + .rodata in "
                     "bytes. Output equal to BUILTIN_REF on every core: "
                     + ("yes" if all(ok for m in with_cores for _, _, ok in m.cores.values()) else "**NO**")
                     + ".\n\n")
        parts.append(results.markdown_table(
            ["model", *CORES],
            [[m.name, *(f"{_int(m.cores[c][0])} ({_int(m.cores[c][1])})" for c in CORES)] for m in with_cores]))
    parts.append(
        "\nTFLM arena: `tflite-micro`'s Python interpreter (`print_allocations()`, total), a 64-bit x86 build; "
        f"on the anchor it reports {_int(anchor.tflm_arena_64bit) if anchor and anchor.tflm_arena_64bit else 'n/a'} "
        "B where the Cortex-M4 build needs 4,068 B. Per MAC: over the MACs the generated code's op comments "
        "count (MEAN's additions and SOFTMAX's elements included, so the anchor has 17,588 there against the "
        "16,624 multiply-accumulates of benchmarks/anchors/README.md used above). Stack: the harness's high-water mark with the model minus "
        "with a no-op model. Host time: the same C built with gcc -O2 (no -march), CPU time per inference, the "
        "fastest of 5 interleaved rounds, "
        "against LiteRT's `Interpreter.invoke()` (1 thread; default kernels, and the reference kernels) in the same "
        "run; a ratio above 1 means our C is faster. Host times vary between machines and runs, instruction counts "
        "do not.\n")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--anchor-only", action="store_true", help="skip the students")
    parser.add_argument("--runs", type=Path, default=ROOT / "runs", help="where the students are trained")
    parser.add_argument("--windows", type=int, default=4, help="random windows per model (max 64)")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    args = parser.parse_args(argv)
    models = [("anchor", ANCHOR)]
    if not args.anchor_only:
        models += [(d, student_model(d, args.runs)) for d in STUDENTS]
    ms = []
    with tempfile.TemporaryDirectory(prefix="td-bench-") as tmp:
        for name, path in models:
            work = Path(tmp) / name
            work.mkdir()
            ms.append(measure(name, path, work, windows=args.windows))
            print(f"{name}: {ms[-1].mean_instructions:,.0f} instructions per inference, bit-exact "
                  f"{ms[-1].bit_exact}", flush=True)
    body = report(ms)
    if args.no_write:
        print(body)
    else:
        results.write_section("engine-vs-tflm", "C engine against TFLM (Cortex-M4, QEMU mps2-an386)", body)
        print(f"wrote section engine-vs-tflm of {results.RESULTS}")
    return 0 if all(m.bit_exact and all(ok for _, _, ok in m.cores.values()) for m in ms) else 1


if __name__ == "__main__":
    sys.exit(main())
