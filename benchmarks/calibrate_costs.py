"""Measure the budget's cost and code-size models on the generated engine.

For the anchor model and the basic-motions and mnist1d students, generate the C engine,
mark every op's kernel call with td_bench_begin/end, build it for each emulated core
(Cortex-M0+, M4, M7, M33 on QEMU mps2 machines; rv32imc on QEMU virt; the ESP8266's Xtensa
lx106 on QEMU sim) at -O2 and count
the retired instructions of every op exactly (QEMU TCG plugin, tinydistill.emu). Per op
kind the cost is one rate: instructions per MAC (convolutions, fully connected), per
addition/comparison (MEAN, pools) or per output element (softmax, activations,
element-wise ops); 1 cycle per instruction is assumed (it is a retired-instruction count,
not a cycle count). Code bytes per op kind are the kernels' .text + .rodata in the
Cortex-M4 build (arm-none-eabi-gcc -O2); a call site's bytes are model.o's text per op
(kernels the generator inlines into model.c count there, and 0 for their kind).

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
from benchmarks.instrument import bracket_calls  # noqa: E402
from benchmarks.students import student_model  # noqa: E402
from tinydistill import atomic, emu, oracle  # noqa: E402
from tinydistill.deploy import analysis  # noqa: E402

ANCHOR = ROOT / "benchmarks" / "anchors" / "conv1d_m4.tflite"
HARNESS = Path(__file__).resolve().parent / "engine_vs_tflm_main.c"  # engine_vs_tflm.py's harness, reused as is
PLATFORMS = ("cortex-m0plus", "cortex-m4", "cortex-m7", "cortex-m33", "rv32", "xtensa-lx106")
CODE_PLATFORM = "cortex-m4"
WINDOWS = 2
OUT = ROOT / "tinydistill" / "deploy" / "costs_measured.json"
RATE = {"conv": "mac", "depthwise": "mac", "fully_connected": "mac", "reduce": "add", "pool": "add",
        "softmax": "element", "activation": "element", "elementwise": "element", "other": "element"}
KERNEL_KINDS = {"td_conv_s8": "conv", "td_depthwise_conv_s8": "depthwise", "td_fully_connected_s8": "fully_connected",
                "td_mean_s8": "reduce", "td_reduce_max_s8": "reduce", "td_avg_pool_s8": "pool",
                "td_max_pool_s8": "pool", "td_softmax_s8": "softmax", "td_lut_s8": "activation",
                "td_add_s8": "elementwise", "td_mul_s8": "elementwise"}
_OP_COMMENT = re.compile(r"^\s*/\* op (\d+): ")


def models(runs: Path) -> dict[str, Path]:
    """The models measured: the anchor and the benchmark students, trained if missing (benchmarks/students.py)."""
    out = {"anchor": ANCHOR}
    for dataset in ("basic-motions", "mnist1d"):
        out[dataset] = student_model(dataset, runs)
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
    counts, code, stack = {}, {}, {}
    for platform in PLATFORMS:
        elf = emu.build(platform, sources, include_dirs=[gen], out=work / name / f"{platform}.elf",
                        defines=["TD_BENCH_PER_OP"])
        run = emu.run(platform, elf, args=["inputs.bin", "outputs.bin"], cwd=work / name, count_instructions=True,
                      timeout=300)
        if not run.ok or len(run.regions) != WINDOWS * len(ops):
            raise RuntimeError(f"{name} on {platform}: {run.describe()}, {len(run.regions)} regions:\n{run.stdout}")
        per_op = np.array(run.regions, dtype=np.float64).reshape(WINDOWS, len(ops)).mean(axis=0)
        counts[platform] = {i: float(c) for i, c in zip(ops, per_op)}
        used = re.search(r"stack_used (\d+)", run.stdout)
        if used:  # the harness's high-water mark over the inferences (td_stack_reset before them)
            stack[platform] = int(used.group(1))
        if platform == CODE_PLATFORM:
            for obj, size in emu.object_sizes(elf).items():
                stem = obj.split("__")[0].removesuffix(".o")
                if stem in KERNEL_KINDS or stem == "model":
                    code[stem] = size.text + size.rodata
    return {"ops": ops, "rows": rows, "counts": counts, "code": code, "stack": stack}


def fit(measured: dict[str, dict]) -> dict:
    """Per platform and op kind one rate (instructions per MAC / addition / element); code bytes per kind."""
    out = {}
    for platform in PLATFORMS:
        sums: dict[str, list[float]] = {}
        for m in measured.values():
            for i in m["ops"]:
                row = m["rows"][i]
                units = {"mac": row.macs, "add": row.adds, "element": row.output_elements}[RATE[row.kind]]
                s = sums.setdefault(row.kind, [0.0, 0.0])
                s[0] += m["counts"][platform][i]
                s[1] += units
        out[platform] = {kind: {"mac": 0.0, "add": 0.0, "element": 0.0, "call": 0.0,
                                RATE[kind]: round(instr / units, 2)}
                         for kind, (instr, units) in sorted(sums.items()) if units}
    kinds: dict[str, int] = {}
    calls = []
    for m in measured.values():
        for stem, size in m["code"].items():
            if stem == "model":
                calls.append(size / len(m["ops"]))
            else:
                kinds[KERNEL_KINDS[stem]] = max(kinds.get(KERNEL_KINDS[stem], 0), size)
    for m in measured.values():  # a kind run without an object of its own is inlined into model.o
        for i in m["ops"]:
            kinds.setdefault(m["rows"][i].kind, 0)
    stack = {p: max(m["stack"][p] for m in measured.values()) for p in PLATFORMS
             if all(p in m["stack"] for m in measured.values())}
    return {"costs": out, "code": {"kinds": dict(sorted(kinds.items())),
                                   "per_op_call": int(round(max(calls))) if calls else None},
            "stack": stack}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=ROOT / "runs", help="where the students are trained")
    parser.add_argument("--no-write", action="store_true", help="print instead of writing the JSON and RESULTS.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="td-calibrate-") as tmp:
        measured = {name: measure_model(name, path, Path(tmp)) for name, path in models(args.runs).items()}
    fitted = fit(measured)
    names = ", ".join(measured)
    data = {
        "source": (f"measured: retired instructions per op of the generated engine (-O2) on {names}, "
                   f"{WINDOWS} random windows each, QEMU TCG plugin (benchmarks/calibrate_costs.py); "
                   "1 cycle per instruction assumed"),
        "code_source": (f"measured: .text + .rodata of the engine's kernels in the {CODE_PLATFORM} build "
                        f"(arm-none-eabi-gcc -O2) of {names} (benchmarks/calibrate_costs.py)"),
        "stack_source": (f"measured: deepest stack high-water mark of one inference over {names} "
                         "(td_stack_used in QEMU, benchmarks/calibrate_costs.py)"),
        **fitted,
    }
    kinds = sorted({k for p in fitted["costs"].values() for k in p})
    table = results.markdown_table(
        ["platform"] + [f"{k} ({RATE[k]})" for k in kinds],
        [[p] + [f"{fitted['costs'][p][k][RATE[k]]:.2f}" if k in fitted["costs"][p] else "-" for k in kinds]
         for p in PLATFORMS])
    totals = results.markdown_table(
        ["model"] + [f"{p} instructions" for p in PLATFORMS],
        [[n] + [f"{sum(m['counts'][p].values()):,.0f}" for p in PLATFORMS] for n, m in measured.items()])
    code = results.markdown_table(["op kind", "kernel bytes"],
                                  [[k, f"{v:,}"] for k, v in fitted["code"]["kinds"].items()]
                                  + [["call site (per op)", f"{fitted['code']['per_op_call']:,}"]])
    stack = results.markdown_table(["platform", "stack bytes (deepest inference)"],
                                   [[p, f"{b:,}"] for p, b in fitted["stack"].items()])
    body = (f"{data['source']}.\n\nInstructions per unit of work by op kind (MAC, addition/comparison or output "
            f"element), as the budget's cost model uses them:\n\n{table}\nInstructions per inference, all ops "
            f"marked:\n\n{totals}\n{data['code_source']}:\n\n{code}\n{data['stack_source']}:\n\n{stack}")
    if args.no_write:
        print(json.dumps(data, indent=2))
        print(body)
        return
    atomic.write_text(OUT, json.dumps(data, indent=2, sort_keys=True) + "\n")
    results.write_section("cost-model", "Budget cost model, measured on the generated engine", body,
                          command="python benchmarks/calibrate_costs.py")
    print(body)


if __name__ == "__main__":
    main()
