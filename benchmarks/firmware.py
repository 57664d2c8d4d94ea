"""Issue 7's benchmark: the exported firmware's app on the emulated cores.

For the basic-motions and mnist1d students, export a project per core, run it in
QEMU on the run's test split with `tinydistill.deploy.emulate`, and record instructions per
inference (exact, QEMU's instruction counter between td_bench_begin/end around the
model call) and per MAC, the flash and RAM of the whole emulation firmware and of
the model + runtime + app alone, the stack high-water mark, and the latency implied
at each target's clock (one instruction per cycle). Results go to the `firmware`
section of benchmarks/RESULTS.md.

    python -m benchmarks.firmware [--work DIR] [--epochs N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks.results import markdown_table, write_section  # noqa: E402
from tinydistill.deploy.analysis import analyze  # noqa: E402
from tinydistill.deploy.emulate import emulate  # noqa: E402
from tinydistill.deploy.export import export_project, read_manifest  # noqa: E402

CORES = (("Cortex-M0+", "cortex-m0plus"), ("Cortex-M4", "cortex-m4"), ("Cortex-M7", "cortex-m7"),
         ("Cortex-M33", "cortex-m33"), ("rv32imc", "esp32c3"))
DATASETS = ("basic-motions", "mnist1d")


def _run(dataset: str, work: Path, epochs: int) -> Path:
    """The run directory of `dataset`, trained once (small epochs: the figures depend on the architecture)."""
    from tinydistill.training.train import TrainConfig, train

    out = work / dataset
    if not (out / "metrics.json").is_file():
        train(TrainConfig(dataset=dataset, epochs=epochs, teacher_epochs=max(1, epochs // 2), seed=0), out,
              progress=False)
    return out


def measure(work: Path, epochs: int) -> list[list]:
    rows = []
    for dataset in DATASETS:
        run = _run(dataset, work, epochs)
        for core, target in CORES:
            project = work / "projects" / f"{dataset}-{target}"
            export_project(run, target, project, force=True)
            macs = analyze(project / read_manifest(project)["model"]).macs
            r = emulate(project)
            if not r.ok:
                raise SystemExit(f"{dataset} on {core}: the firmware disagrees with Python: {r.mismatches}")
            ipi = r.instructions_per_inference
            rows.append([dataset, core, f"{r.clock_hz / 1e6:g} MHz", f"{macs:,}", f"{ipi:,.0f}", f"{ipi / macs:.2f}",
                         f"{r.latency_ms:.3f}", f"{r.app_flash:,}", f"{r.app_ram:,}", f"{r.flash:,}",
                         f"{r.ram_static:,}", f"{r.stack_used:,}", f"{r.matched}/{r.expected}"])
            print(" | ".join(str(c) for c in rows[-1]), flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=None, help="where runs and projects go (default: a temp dir)")
    parser.add_argument("--epochs", type=int, default=15, help="training epochs of the students")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="td-bench-firmware-") as tmp:
        work = args.work or Path(tmp)
        rows = measure(work, args.epochs)
    header = ["student", "core", "clock", "MACs", "instructions / inference", "per MAC", "latency ms",
              "app flash B", "app RAM B", "ELF flash B", "ELF RAM B", "stack B", "agreement"]
    body = (
        "The exported project's app.c, model and runtime, built with -O2 by `tinydistill.deploy.emulate` and run in QEMU "
        "(`-icount shift=0`) on the run's test split. Instructions per inference are exact (a TCG plugin counts "
        "retired instructions between td_bench_begin/td_bench_end around `td_model_invoke`), averaged over every "
        "inference of the stream; latency assumes one instruction per cycle at the target's clock (rv32imc: "
        "ESP32-C3 at 160 MHz). App flash/RAM: the objects built from the project's src/ (model weights, generated "
        "graph, kernels, stream runtime, app); ELF: the whole emulation firmware including newlib/picolibc stdio "
        "and semihosting (a board build replaces those by its framework). RAM excludes the 16 KiB reserved stack; "
        "stack is the measured high-water mark of the whole program. Agreement: inferences whose raw int8 outputs "
        "and decision equal the Python streaming reference (BUILTIN_REF).\n\n"
        + markdown_table(header, rows)
    )
    write_section("firmware", "Firmware on emulated cores (issue 7)", body,
                  command="python -m benchmarks.firmware" + (f" --epochs {args.epochs}" if args.epochs != 15 else ""))


if __name__ == "__main__":
    main()
