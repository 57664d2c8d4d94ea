"""Measure the budget's cost and code-size models on the generated engine.

For the anchor model, the basic-motions and mnist1d students and MLPerf Tiny's AD and KWS
models (2-D convolutions, depthwise, pools; benchmarks/anchors/mlperf), generate the C
engine, mark every op's kernel call with td_bench_begin/end, build it for each emulated
core (Cortex-M0+, M4, M7, M33 on QEMU mps2 machines; rv32imc on QEMU virt; the ESP8266's
Xtensa lx106 on QEMU sim) at -O2 and count the retired instructions of every op exactly
(QEMU TCG plugin, tinydistill.emu); on Cortex-M4 the plugin's cycle estimate (Cortex-M4 TRM
timings, zero flash wait states) is the cost measured, elsewhere 1 cycle per instruction is
assumed. Per op kind the cost is a rate per unit of work (MAC for convolutions and fully
connected, addition/comparison for MEAN and pools, output element for softmax, activations
and element-wise ops) plus a rate per output element and a fixed cost per call, fitted by
non-negative least squares on relative error over every op measured, so that small and
large models are predicted alike. Code bytes per op kind are the kernels' .text + .rodata in the
Cortex-M4 build (arm-none-eabi-gcc -O2); an op's call site is what model.o holds for it (its
parameters and, for kernels the generator specializes per op, its own function: 0 bytes of kernel
for their kind) plus an equal share of the rest of model.o; per kind the mean is kept (over all
ops for kinds not measured).

The stack of one inference is the harness's td_stack_used high-water mark.

Writes tinydistill/deploy/costs_measured.json (read by tinydistill.deploy.targets over the estimates
of targets.toml) and a RESULTS.md section.

    python benchmarks/calibrate_costs.py [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import results  # noqa: E402
from benchmarks.engine_vs_tflm import MARKER_CYCLES, MARKER_INSTRUCTIONS  # noqa: E402
from benchmarks.instrument import bracket_calls  # noqa: E402
from benchmarks.students import student_model  # noqa: E402
from tinydistill import atomic, emu, oracle  # noqa: E402
from tinydistill.deploy import analysis, budget, targets  # noqa: E402

ANCHOR = ROOT / "benchmarks" / "anchors" / "conv1d_m4.tflite"
HARNESS = Path(__file__).resolve().parent / "engine_vs_tflm_main.c"  # engine_vs_tflm.py's harness, reused as is
PLATFORMS = ("cortex-m0plus", "cortex-m4", "cortex-m7", "cortex-m33", "rv32", "xtensa-lx106")
CODE_PLATFORM = "cortex-m4"
CYCLE_PLATFORM = "cortex-m4"  # the one core with a cycle model in the TCG plugin
MLPERF = ROOT / "benchmarks" / "anchors" / "mlperf"
TOLERANCE = 0.15  # the budget's latency within ±15 % of the emulated figure on every model
WINDOWS = 2
OUT = ROOT / "tinydistill" / "deploy" / "costs_measured.json"
RATE = {"conv": "mac", "conv_gemm": "mac", "depthwise": "mac", "fully_connected": "mac", "reduce": "add", "pool": "add",
        "softmax": "element", "activation": "element", "elementwise": "element", "other": "element"}
KERNEL_KINDS = {"td_conv_s8": "conv", "td_depthwise_conv_s8": "depthwise", "td_fully_connected_s8": "fully_connected",
                "td_mean_s8": "reduce", "td_reduce_max_s8": "reduce", "td_avg_pool_s8": "pool",
                "td_max_pool_s8": "pool", "td_softmax_s8": "softmax", "td_lut_s8": "activation",
                "td_add_s8": "elementwise", "td_mul_s8": "elementwise"}
_OP_COMMENT = re.compile(r"^\s*/\* op (\d+): ")
_OP_SECTION = re.compile(r"\.td_model_op(\d+)_")  # .text.td_model_op4_run.constprop.0, .rodata.td_model_op9_params


STUDENTS = ("basic-motions", "mnist1d")


def models(runs: Path, students: tuple[str, ...] = STUDENTS) -> dict[str, Path]:
    """The models measured: the anchor, the benchmark students (trained if missing,
    benchmarks/students.py) and MLPerf Tiny's AD and KWS."""
    out = {"anchor": ANCHOR}
    for dataset in students:
        out[dataset] = student_model(dataset, runs)
    out["mlperf-ad"] = MLPERF / "ad01_int8.tflite"
    out["mlperf-kws"] = MLPERF / "kws_ref_model.tflite"
    return out


def instrument(gen: Path, dest: Path) -> list[int]:
    """A copy of gen/model.c with every kernel call between td_bench_begin/end; returns the op indices."""
    keys, lines = bracket_calls((gen / "model.c").read_text(), _OP_COMMENT)
    ops = [int(k) for k in keys]
    if not ops:
        raise RuntimeError(f"{gen / 'model.c'} has no `/* op N: */` + `status = kernel(...)` layout to instrument")
    dest.mkdir(parents=True, exist_ok=True)
    atomic.write_text(dest / "model.c", "\n".join(lines) + "\n")
    return ops


def measure_model(name: str, path: Path, work: Path) -> dict:
    """Per-op instruction counts on every platform, and code bytes per kernel on CODE_PLATFORM."""
    from tinydistill.engine.codegen import generate

    gen, inst = work / name / "gen", work / name / "inst"
    generate(path, gen)
    ops = instrument(gen, inst)
    rows = {r.index: r for r in analysis.analyze(path).rows}
    interp = oracle.interpreter(path)
    shape = interp.get_input_details()[0]["shape"]
    x = np.random.default_rng(0).integers(-128, 128, size=(WINDOWS, *shape), dtype=np.int8)
    atomic.write_bytes(work / name / "inputs.bin", x.tobytes())
    sources = [inst / "model.c", *(p for p in sorted(gen.glob("*.c")) if p.name != "model.c"), HARNESS]
    counts, instructions, code, stack = {}, {}, {}, {}
    for platform in PLATFORMS:
        elf = emu.build(platform, sources, include_dirs=[gen], out=work / name / f"{platform}.elf",
                        defines=["TD_BENCH_PER_OP"])
        cycles = platform == CYCLE_PLATFORM
        run = emu.run(platform, elf, args=["inputs.bin", "outputs.bin"], cwd=work / name, count_instructions=True,
                      estimate_cycles=cycles, timeout=900)
        if not run.ok or len(run.regions) != WINDOWS * len(ops):
            raise RuntimeError(f"{name} on {platform}: {run.describe()}, {len(run.regions)} regions:\n{run.stdout}")
        per_op = np.array(run.regions, dtype=np.float64).reshape(WINDOWS, len(ops)).mean(axis=0)
        per_op = np.maximum(per_op - MARKER_INSTRUCTIONS, 1.0)  # the marker calls are not the op's
        instructions[platform] = {i: float(c) for i, c in zip(ops, per_op)}
        if cycles:
            per_op = np.array(run.region_cycles, dtype=np.float64).reshape(WINDOWS, len(ops)).mean(axis=0)
            per_op = np.maximum(per_op - MARKER_CYCLES, 1.0)
        counts[platform] = {i: float(c) for i, c in zip(ops, per_op)}
        used = re.search(r"stack_used (\d+)", run.stdout)
        if used:  # the harness's high-water mark over the inferences (td_stack_reset before them)
            stack[platform] = int(used.group(1))
        if platform == CODE_PLATFORM:
            for obj, size in emu.object_sizes(elf).items():
                stem = _stem(obj)
                if stem in KERNEL_KINDS or stem == "model":
                    code[stem] = size.text + size.rodata
            op_code = call_sites(elf, ops, code["model"])
    return {"ops": ops, "rows": rows, "counts": counts, "instructions": instructions, "code": code,
            "op_code": op_code, "stack": stack}


def _stem(obj: str) -> str:
    """The source stem of a link-map object name (`model.o`, `td_conv_s8__2.o` -> `model`, `td_conv_s8`)."""
    return obj.split("__")[0].removesuffix(".o")


def call_sites(elf: Path, ops: list[int], model_bytes: int) -> dict[int, int]:
    """Each op's bytes of model.o: the sections named after it (its parameters and, in DSP builds, its
    own specialized function; -ffunction-sections) plus an equal share of the rest (td_model_invoke)."""
    own = dict.fromkeys(ops, 0)
    for section, nbytes, obj in emu.flash_sections(elf):
        m = _OP_SECTION.search(section)
        if m and _stem(obj) == "model" and int(m.group(1)) in own:
            own[int(m.group(1))] += nbytes
    share = (model_bytes - sum(own.values())) / len(ops)
    return {i: round(b + share) for i, b in own.items()}


def _features(row, kind: str) -> list[float]:
    """What an op of `kind` is charged for: its unit of work, its output elements, one call."""
    units = {"mac": row.macs, "add": row.adds, "element": row.output_elements}[RATE[kind]]
    return [float(units), float(row.output_elements), 1.0] if RATE[kind] != "element" else [float(units), 1.0]


def _fit_kind(samples: list[tuple[list[float], float]]) -> list[float]:
    """Non-negative rates minimising the relative error of every op of one kind."""
    from scipy.optimize import nnls

    a = np.array([f for f, _ in samples], dtype=np.float64)
    y = np.array([c for _, c in samples], dtype=np.float64)
    w = 1.0 / y
    rates, _ = nnls(a * w[:, None], y * w)
    return [float(r) for r in rates]


def predicted(costs: dict, m: dict) -> float:
    """The cost model's cycles for one measured model (the budget's sum over its ops)."""
    total = 0.0
    for i in m["ops"]:
        row = m["rows"][i]
        c = costs.get(row.kind)
        if c is None:
            continue
        total += c["mac"] * row.macs + c["add"] * row.adds + c["element"] * row.output_elements + c["call"]
    return total


def code_estimate(code: dict, m: dict) -> int:
    """The budget's code bytes for one measured model from the fitted `code` (budget.code_bytes without
    the runtime)."""
    model = targets.CodeSizeModel(source="", runtime=0, per_op_call=code["per_op_call"],
                                  kinds={"other": 0, **code["kinds"]}, calls=code["calls"])
    return budget.code_bytes([m["rows"][i] for i in m["ops"]], model)


def fit(measured: dict[str, dict]) -> dict:
    """Per platform and op kind one rate (instructions per MAC / addition / element); code bytes per kind."""
    out = {}
    for platform in PLATFORMS:
        samples: dict[str, list[tuple[list[float], float]]] = {}
        for m in measured.values():
            for i in m["ops"]:
                row = m["rows"][i]
                samples.setdefault(row.kind, []).append((_features(row, row.kind), m["counts"][platform][i]))
        out[platform] = {}
        for kind, ss in sorted(samples.items()):
            rates = _fit_kind(ss)
            entry = {"mac": 0.0, "add": 0.0, "element": 0.0, "call": 0.0}
            entry[RATE[kind]] = rates[0]
            if RATE[kind] != "element":
                entry["element"] += rates[1]
            entry["call"] = rates[-1]
            out[platform][kind] = {k: round(v, 3) for k, v in entry.items()}
    kinds: dict[str, int] = {}
    sites: dict[str, list[int]] = {}  # per kind, every call site measured
    for m in measured.values():
        for stem, size in m["code"].items():
            if stem != "model":
                kinds[KERNEL_KINDS[stem]] = max(kinds.get(KERNEL_KINDS[stem], 0), size)
        for i, size in m["op_code"].items():
            sites.setdefault(m["rows"][i].kind, []).append(size)
    calls = {k: round(float(np.mean(v))) for k, v in sites.items()}
    every = [b for v in sites.values() for b in v]
    for kind in sites:  # a kind run without an object of its own is inlined into model.o
        kinds.setdefault(kind, 0)
    stack = {p: max(m["stack"][p] for m in measured.values()) for p in PLATFORMS
             if all(p in m["stack"] for m in measured.values())}
    return {"costs": out, "code": {"kinds": dict(sorted(kinds.items())), "calls": dict(sorted(calls.items())),
                                   "per_op_call": round(float(np.mean(every))) if every else None},
            "stack": stack}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=ROOT / "runs", help="where the students are trained")
    parser.add_argument("--students", nargs="*", choices=STUDENTS, default=list(STUDENTS),
                        help="benchmark students to measure (default: all)")
    parser.add_argument("--no-write", action="store_true", help="print instead of writing the JSON and RESULTS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="td-calibrate-") as tmp:
        measured = {name: measure_model(name, path, Path(tmp))
                    for name, path in models(args.runs, tuple(args.students)).items()}
    fitted = fit(measured)
    names = ", ".join(measured)
    data = {
        "source": (f"measured: cycles per op of the generated engine (-O2) on {names}, {WINDOWS} random windows "
                   f"each, QEMU TCG plugin (benchmarks/calibrate_costs.py): on {CYCLE_PLATFORM} its Cortex-M4 "
                   "cycle estimate (TRM timings, zero flash wait states), on the other cores retired instructions "
                   "at 1 cycle each"),
        "code_source": (f"measured: .text + .rodata of the engine's kernels in the {CODE_PLATFORM} build "
                        f"(arm-none-eabi-gcc -O2) of {names} (benchmarks/calibrate_costs.py)"),
        "stack_source": (f"measured: deepest stack high-water mark of one inference over {names} "
                         "(td_stack_used in QEMU, benchmarks/calibrate_costs.py)"),
        **fitted,
    }
    kinds = sorted({k for p in fitted["costs"].values() for k in p})

    def rate(c: dict, k: str) -> str:
        extra = [f"+ {c['element']:.2f}/output" if RATE[k] != "element" and c["element"] else "",
                 f"+ {c['call']:,.0f}/call" if c["call"] else ""]
        return " ".join([f"{c[RATE[k]]:.2f}", *[e for e in extra if e]])

    table = results.markdown_table(
        ["platform"] + [f"{k} (per {RATE[k]})" for k in kinds],
        [[p] + [rate(fitted["costs"][p][k], k) if k in fitted["costs"][p] else "-" for k in kinds]
         for p in PLATFORMS])
    checks, worst = [], 0.0
    for n, m in measured.items():
        row = [n]
        for p in PLATFORMS:
            real = sum(m["counts"][p].values())
            pred = predicted(fitted["costs"][p], m)
            worst = max(worst, abs(pred / real - 1))
            row.append(f"{real:,.0f} / {pred:,.0f} ({pred / real - 1:+.1%})")
        checks.append(row)
    totals = results.markdown_table(
        ["model"] + [f"{p}: {'est. cycles' if p == CYCLE_PLATFORM else 'instructions'} / budget" for p in PLATFORMS],
        checks)
    verdict = (f"Largest deviation of the budget from the emulated figure: {worst:.1%} "
               f"({'within' if worst <= TOLERANCE else '**outside**'} ±{TOLERANCE:.0%}).\n")
    # A kind that ran with no bytes of kernel object: its kernel is specialized per op into model.c.
    code = results.markdown_table(
        ["op kind", "kernel bytes", "call site bytes (per op, mean of those measured)"],
        [[k, f"{v:,}" + (" (specialized per op: counted in the call sites)" if v == 0 else ""),
          f"{fitted['code']['calls'].get(k, fitted['code']['per_op_call']):,}"]
         for k, v in fitted["code"]["kinds"].items()]
        + [["any other kind", "its estimate", f"{fitted['code']['per_op_call']:,}"]])
    code_pairs = {n: (sum(m["code"].values()), code_estimate(fitted["code"], m)) for n, m in measured.items()}
    code_checks = results.markdown_table(
        ["model", f"engine code, {CODE_PLATFORM} (model.o + kernels)", "budget's estimate", "budget - measured"],
        [[n, f"{real:,}", f"{est:,}", f"{est / real - 1:+.0%}"] for n, (real, est) in code_pairs.items()])
    code_checks += (f"\nLargest deviation of the code estimate from the measured code: "
                    f"{max(abs(est / real - 1) for real, est in code_pairs.values()):.0%}.\n")
    stack = results.markdown_table(["platform", "stack bytes (deepest inference)"],
                                   [[p, f"{b:,}"] for p, b in fitted["stack"].items()])
    body = (f"{data['source']}.\n\nCycles per unit of work by op kind (MAC, addition/comparison or output "
            f"element), plus per output element and per call where the fit gave them, as the budget's cost model "
            f"uses them ({CYCLE_PLATFORM}: estimated cycles at zero flash wait states; elsewhere instructions):"
            f"\n\n{table}\nPer inference, all ops marked (marker calls subtracted): the emulated figure against "
            f"the budget's prediction from the rates above:\n\n{totals}\n{verdict}\n"
            f"{data['code_source']}:\n\n{code}\nPer model, the engine's code as measured (the instrumented build "
            f"of the cycle counts) against the budget's code-size estimate from the table above (each kind's "
            f"kernel once, plus the call sites); weights are not code and counted apart:\n\n{code_checks}\n"
            f"{data['stack_source']}:\n\n{stack}")
    if args.no_write:
        print(json.dumps(data, indent=2))
        print(body)
        return
    # The section first: its stamp reads the commit, which the JSON written below would make "+uncommitted".
    results.write_section("cost-model", "Budget cost model, measured on the generated engine", body,
                          command="python benchmarks/calibrate_costs.py"
                          + ("" if tuple(args.students) == STUDENTS else " --students " + " ".join(args.students)))
    atomic.write_text(OUT, json.dumps(data, indent=2, sort_keys=True) + "\n")
    print(body)


if __name__ == "__main__":
    main()
