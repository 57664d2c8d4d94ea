"""Sizes of the basic-motions and mnist1d students.

For each student: parameters, int8 flatbuffer, flash and peak RAM as `tinydistill budget`
computes them, MACs, float and int8 test accuracy, and the teacher-to-student size ratio.

    python benchmarks/model_sizes.py              # writes its section of RESULTS.md
    python benchmarks/model_sizes.py --no-write   # prints it instead

Students are trained with `tinydistill.training.train` defaults into runs/bench-<dataset> (reused
when present, shared with benchmarks/engine_vs_tflm.py) and quantized like `tinydistill quantize`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from benchmarks import results  # noqa: E402
from benchmarks.students import student_run  # noqa: E402
from tinydistill.deploy import budget, targets  # noqa: E402

STUDENTS = ("basic-motions", "mnist1d")
TARGET = "cortex-m4"
LATENCY_TARGETS = ("cortex-m0plus", "cortex-m4", "esp32")


def measure(dataset: str, runs: Path) -> dict:
    """One row of figures for the student of `dataset`."""
    from tinydistill.deploy.quantize import quantize_run
    from tinydistill.rundir import open_run

    run = open_run(student_run(dataset, runs))
    q = quantize_run(run)
    metrics = run.metrics
    report = budget.check_budget(run.path, TARGET)
    a = report.analysis
    return {
        "dataset": dataset, "params": a.params, "teacher_params": metrics["teacher"]["params"],
        "tflite": q.size_bytes, "flash": report.flash_bytes, "weights": report.weight_bytes,
        "quant": report.quant_bytes, "code": report.code_bytes, "ram": report.ram_bytes,
        "arena": report.arena_bytes, "window": report.window_bytes, "macs": a.macs, "adds": a.adds,
        "float_acc": q.float_metrics["accuracy"], "int8_acc": q.int8_metrics["accuracy"],
        "teacher_acc": metrics["teacher"]["accuracy"],
        "latency": {t: budget.check_budget(q.path, t).latency_s for t in LATENCY_TARGETS},
    }


def section(rows: list[dict]) -> str:
    """The Markdown body of the RESULTS.md section."""
    table = results.markdown_table(
        ["student", "params", "teacher params", "teacher / student", "int8 .tflite", "flash", "peak RAM", "MACs",
         "teacher acc.", "float acc.", "int8 acc."],
        [[r["dataset"], f"{r['params']:,}", f"{r['teacher_params']:,}", f"{r['teacher_params'] / r['params']:.1f}x",
          f"{r['tflite']:,} B", f"{r['flash']:,} B", f"{r['ram']:,} B", f"{r['macs']:,}",
          f"{r['teacher_acc']:.3f}", f"{r['float_acc']:.3f}", f"{r['int8_acc']:.3f}"] for r in rows])
    detail = results.markdown_table(
        ["student", "weights + biases", "requantization constants", "code", "arena (liveness plan)",
         "window ring", "additions in MEAN/pools"]
        + [f"latency {t}" for t in LATENCY_TARGETS],
        [[r["dataset"], f"{r['weights']:,} B", f"{r['quant']:,} B", f"{r['code']:,} B", f"{r['arena']:,} B",
          f"{r['window']:,} B", f"{r['adds']:,}"]
         + [f"{r['latency'][t] * 1e3:.2f} ms" for t in LATENCY_TARGETS] for r in rows])
    tgt = targets.get_target(TARGET)
    return (
        "Students trained with the `train` defaults (runs/bench-<dataset>), quantized to full int8 as "
        "`tinydistill quantize` does; accuracy on the test split (fraction). Flash and peak RAM as "
        f"`tinydistill budget --target {TARGET}` reports them (K = 1024): flash = weights and biases + "
        "per-channel requantization constants + code bytes per op kind used (source below); peak RAM = the engine "
        f"planner's arena (the {TARGET} build's, with its DSP kernels' scratch) + the streaming ring (2 x W x C int8) "
        "+ the output + the stack of one inference "
        f"({tgt.stack_bytes} B; {tgt.stack_source}). "
        "The teacher-to-student ratio is in parameters.\n\n"
        + table + "\n" + detail + "\n"
        f"Code size: {targets.CODE_SIZE.source}. Latency: the targets' cost models ("
        + "; ".join(f"{t}: {targets.get_target(t).cost.source}" for t in LATENCY_TARGETS) + ").\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=ROOT / "runs", help="where the students are trained")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    args = parser.parse_args(argv)
    body = section([measure(d, args.runs) for d in STUDENTS])
    if args.no_write:
        print(body)
    else:
        results.write_section("model-sizes", "Student sizes: parameters, flash, RAM, MACs, float vs int8 accuracy",
                              body, command="python benchmarks/model_sizes.py")
        print(body)


if __name__ == "__main__":
    main()
