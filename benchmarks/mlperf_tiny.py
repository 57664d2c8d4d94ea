"""MLPerf Tiny's reference int8 models (anomaly detection, keyword spotting) on the
generated C engine, beside the best published Cortex-M4 results.

For every full-int8 model of benchmarks/anchors/mlperf/: generate the C, build it for
Cortex-M4 (arm-none-eabi-gcc -O2, the engine_vs_tflm harness) and run it in QEMU
mps2-an386 on random int8 inputs, checking the output against BUILTIN_REF; report
exact retired instructions, the plugin's Cortex-M4 cycle estimate (TRM timings, zero
flash wait states: tinydistill/emu/m4_cycles.h) and its milliseconds at 120 MHz,
instructions and cycles per op, arena, flash, and TFLM's arena for the same model
(the `tflite-micro` Python interpreter, a 64-bit build). The published figures
(benchmarks/anchors/mlperf/published.json) come from MLPerf Tiny's results
repositories; their cycles include the board's flash wait states, ours do not.

    python -m benchmarks.mlperf_tiny            # writes the mlperf-tiny section of RESULTS.md
    python -m benchmarks.mlperf_tiny --no-write --windows 1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks import results  # noqa: E402
from benchmarks.engine_vs_tflm import _ENGINE_OBJECT, HARNESS, PLATFORM, per_op_counts, tflm_arena  # noqa: E402
from tinydistill import emu, oracle  # noqa: E402
from tinydistill.engine import compiled  # noqa: E402

MODELS_DIR = ROOT / "benchmarks" / "anchors" / "mlperf"
SHARED_DIR = ROOT.parent / "shared" / "anchors" / "mlperf"
PUBLISHED = MODELS_DIR / "published.json"
# model file -> (key in published.json, what it is)
MODELS = {
    "ad01_int8.tflite": ("ad", "anomaly detection (ToyCar), dense autoencoder"),
    "kws_ref_model.tflite": ("kws", "keyword spotting, DS-CNN"),
}
CLOCK_HZ = 120_000_000
_MACS = re.compile(r"(\d+) MACs")


@dataclass
class ModelResult:
    file: str
    key: str
    what: str
    macs: int
    instructions: float
    cycles: float
    bit_exact: bool
    arena: int
    flash: int  # model + kernels .text + .rodata
    tflm_arena_64bit: int | None
    ops: list[tuple[str, float, float]]  # label, instructions, cycles


def models() -> list[Path]:
    """The repository's copies; a note when the workspace's shared copies are absent or differ."""
    paths = [MODELS_DIR / name for name in MODELS]
    if not SHARED_DIR.is_dir():
        print(f"note: {SHARED_DIR} is absent; running on the repository's copies in {MODELS_DIR}", flush=True)
    else:
        for p in paths:
            shared = SHARED_DIR / p.name
            if shared.is_file() and shared.read_bytes() != p.read_bytes():
                print(f"note: {shared} differs from the repository's copy; measuring {p}", flush=True)
    return paths


def measure(path: Path, work: Path, windows: int, seed: int = 0) -> ModelResult:
    from tinydistill.engine.codegen import generate

    key, what = MODELS[path.name]
    gen = work / "gen"
    generate(path, gen)
    sources = sorted(gen.glob("*.c"))
    inp = oracle.interpreter(path).get_input_details()[0]
    x = np.random.default_rng(seed).integers(-128, 128, size=(windows, *inp["shape"]), dtype=np.int8)
    (work / "inputs.bin").write_bytes(x.tobytes())
    expected = oracle.run(path, x).reshape(windows, -1)
    elf = emu.build(PLATFORM, [*sources, HARNESS], include_dirs=[gen], out=work / "engine_m4.elf")
    run = emu.run(PLATFORM, elf, args=["inputs.bin", "outputs.bin"], cwd=work, count_instructions=True,
                  estimate_cycles=True, timeout=900)
    if not run.ok:
        raise RuntimeError(f"{path.name}: the Cortex-M4 run {run.describe()}:\n{run.stdout}{run.stderr}")
    got = np.frombuffer((work / "outputs.bin").read_bytes(), dtype=np.int8).reshape(windows, -1)
    ops = per_op_counts(gen, work, windows)
    macs = sum(int(m.group(1)) for label, _, _ in ops for m in [_MACS.search(label)] if m and _is_mac(label))
    flash = sum(s.text + s.rodata for n, s in emu.object_sizes(elf).items() if _ENGINE_OBJECT.match(n))
    return ModelResult(
        file=path.name, key=key, what=what, macs=macs, instructions=float(np.mean(run.regions)),
        cycles=float(np.mean(run.region_cycles)), bit_exact=bool(np.array_equal(got, expected)),
        arena=compiled.compile(path).memory.arena_size_dsp, flash=flash,  # the M4 builds the DSP kernels
        tflm_arena_64bit=tflm_arena(path.read_bytes()), ops=ops)


def _is_mac(label: str) -> bool:
    """Ops whose "MACs" are multiply-accumulates (not MEAN's additions or SOFTMAX's elements)."""
    return any(k in label for k in ("CONV_2D", "FULLY_CONNECTED"))


def _k(v: float) -> str:
    return f"{v:,.0f}"


def report(rs: list[ModelResult], published: dict) -> str:
    clock = published["clock_hz"]
    parts = [
        "MLPerf Tiny's reference int8 models (benchmarks/anchors/mlperf/, copied unchanged from mlcommons/tiny with "
        "their licence and provenance) on the generated C engine: arm-none-eabi-gcc -O2 for Cortex-M4F, QEMU "
        "mps2-an386, output compared with BUILTIN_REF. **Instructions** are exact (retired, counted by the TCG "
        "plugin between td_bench_begin/td_bench_end). **Estimated cycles** apply the Cortex-M4 TRM's timings to "
        "those instructions (tinydistill/emu/m4_cycles.h: loads/stores with pipelining and unaligned penalties, "
        "LDM/STM 1+N, single-cycle multiplies and DSP MACs, divides at their worst case 12, taken branches with "
        "their pipeline refill) at **zero flash wait states**; the milliseconds are those cycles at 120 MHz, the "
        "clock of the boards below. The published figures are the median throughput of MLPerf Tiny submissions on "
        f"{published['board']} ({published['source']}); their cycles = 120 MHz / throughput and include the "
        "board's flash wait states, which ours do not.\n\n",
    ]
    rows = []
    for r in rs:
        rows.append([f"`{r.file}` ({r.what})", _k(r.macs), _k(r.instructions), f"{r.instructions / r.macs:.2f}",
                     _k(r.cycles), f"{r.cycles / r.macs:.2f}", f"{r.cycles / CLOCK_HZ * 1e3:.3f}", _k(r.arena),
                     _k(r.tflm_arena_64bit) if r.tflm_arena_64bit else "n/a (tflite-micro not installed)",
                     _k(r.flash), "yes" if r.bit_exact else "**NO**"])
    parts.append(results.markdown_table(
        ["model", "MACs", "M4 instructions / inference (exact)", "per MAC",
         "estimated M4 cycles (zero wait states)", "cycles / MAC", "ms at 120 MHz (estimate)", "arena B",
         "TFLM arena B (64-bit build)", "model + kernels flash B", "output equals BUILTIN_REF"], rows))
    parts.append("\n### Published Cortex-M4 results beside ours\n\n")
    rows = []
    for p in published["results"]:
        row = [p["round"], f"{p['submitter']} ({p['software']})", p["board"]]
        for r in rs:
            ips = p["inferences_per_second"].get(r.key)
            row += [f"{ips:g}", _k(clock / ips), f"{r.cycles / (clock / ips):.2f}"] if ips else ["", "", ""]
        rows.append(row)
    rows.append(["this commit", "tinydistill generated C (estimate, zero wait states)", "QEMU mps2-an386"]
                + [c for r in rs for c in (f"{CLOCK_HZ / r.cycles:.1f}", _k(r.cycles), "1.00")])
    header = ["round", "submitter (software)", "board"]
    for r in rs:
        header += [f"{r.key.upper()} inf/s", f"{r.key.upper()} cycles", f"{r.key.upper()} ours / theirs"]
    parts.append(results.markdown_table(header, rows))
    for r in rs:
        total_i = sum(i for _, i, _ in r.ops)
        total_c = sum(c for _, _, c in r.ops)
        parts.append(f"\n### Per op: `{r.file}`\n\nMean over the windows, from a build with a marker pair around every "
                     f"kernel call (markers subtracted; the ops sum to {_k(total_i)} instructions and {_k(total_c)} "
                     f"estimated cycles against {_k(r.instructions)} and {_k(r.cycles)} unmarked):\n\n")
        rows = []
        for label, ins, cyc in r.ops:
            m = _MACS.search(label)
            macs = int(m.group(1)) if m else 0
            rows.append([label.split(": ", 1)[1], _k(ins), f"{ins / macs:.2f}" if macs else "", _k(cyc),
                         f"{cyc / macs:.2f}" if macs else "", f"{cyc / total_c:.1%}"])
        parts.append(results.markdown_table(["op", "instructions", "per MAC", "est. cycles", "cycles / MAC",
                                             "share of cycles"], rows))
    parts.append("\nPer MAC in the first table counts the multiply-accumulates of CONV_2D, DEPTHWISE_CONV_2D and "
                 "FULLY_CONNECTED only. TFLM arena: `tflite-micro`'s Python interpreter (`print_allocations()`, "
                 "total) on a 64-bit host, whose pointers are 8 bytes: it overstates what a 32-bit MCU build needs "
                 "(on the anchor model of the engine-vs-tflm section, 4,068 B on Cortex-M4 against the 64-bit "
                 "figure shown there). Flash: the generated folder's objects (model.o, model_data.o, td_*.o) in the "
                 "link map.\n")
    return "".join(parts)


def load_published() -> dict:
    published = json.loads(PUBLISHED.read_text())
    readme = SHARED_DIR / "README.md"
    if readme.is_file():  # the workspace's transcription, if present, must agree with the repository's data
        text = readme.read_text()
        for p in published["results"]:
            for ips in p["inferences_per_second"].values():
                if f"{ips:g}" not in text and f"{ips:.2f}" not in text:
                    print(f"note: {ips} inf/s of {p['submitter']} {p['round']} is not in {readme}", flush=True)
    return published


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=2, help="random input windows per model (max 64)")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    args = parser.parse_args(argv)
    if not 1 <= args.windows <= 64:
        print("--windows must be between 1 and 64", file=sys.stderr)
        return 2
    published = load_published()
    rs = []
    with tempfile.TemporaryDirectory(prefix="td-mlperf-") as tmp:
        for path in models():
            work = Path(tmp) / path.stem
            work.mkdir()
            rs.append(measure(path, work, args.windows))
            r = rs[-1]
            print(f"{r.file}: {r.instructions:,.0f} instructions, {r.cycles:,.0f} estimated M4 cycles (zero wait "
                  f"states), bit-exact {r.bit_exact}", flush=True)
    body = report(rs, published)
    if args.no_write:
        print(body)
    else:
        results.write_section("mlperf-tiny", "MLPerf Tiny models on Cortex-M4 (estimated cycles, zero wait states)",
                              body, command="python -m benchmarks.mlperf_tiny"
                              + (f" --windows {args.windows}" if args.windows != 2 else ""))
        print(f"wrote section mlperf-tiny of {results.RESULTS}")
    return 0 if all(r.bit_exact for r in rs) else 1


if __name__ == "__main__":
    sys.exit(main())
