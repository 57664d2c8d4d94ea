"""`make demo`: the whole chain on the shipped data, as a sequence of library steps.

    python -m tinydistill.demo --out runs/demo

train -> quantize (int8) -> budget (Cortex-M0+ and Cortex-M4) -> export (ESP32 and
Cortex-M4 PlatformIO projects) -> emulate (the Cortex-M4 firmware in QEMU on the
test split, compared with the Python streaming reference). Step 1 trains on basic-motions with the gyroscope as privileged information: the
teacher sees accelerometer and gyroscope, the student (and the baseline) only the
accelerometer, the sensor a cheap board actually carries. That is the product's
point: the lab's extra sensor improves the device's model without being on it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PRIVILEGED = ("gyro_x", "gyro_y", "gyro_z")
# Students train 8,000+ steps by default (recipe.py); basic-motions needs far fewer, and
# the demo's point is the whole chain in about a minute, so it caps them (and says so).
DEMO_STUDENT_EPOCHS = 60


def step_train(run: Path) -> None:
    """Teacher (acc + gyro) -> distilled accelerometer student, plus the baseline."""
    from .training.train import TrainConfig, comparison_table, train

    result = train(TrainConfig(dataset="basic-motions", privileged=PRIVILEGED, epochs=DEMO_STUDENT_EPOCHS,
                               overwrite=True), run)
    print(comparison_table(result))
    print(f"(the demo caps student training at {DEMO_STUDENT_EPOCHS} epochs to finish in about a minute; "
          "`tinydistill train` without --epochs trains students for 8,000 to 12,000 steps)")
    print(f"run directory: {result.path}")


def step_quantize(run: Path) -> None:
    """Full-integer PTQ of the student; float and int8 metrics side by side."""
    from .errors import CheckFailed
    from .deploy.quantize import format_report, quantize_run

    report = quantize_run(run)
    print(format_report(report))
    if not report.ok:
        raise CheckFailed(report.verdict())


def step_budget(run: Path) -> None:
    """The per-layer budget on the smallest and on the default board."""
    from .deploy.budget import check_budget, format_report
    from .errors import CheckFailed

    for target in ("cortex-m0plus", "cortex-m4"):
        report = check_budget(run, target)
        print(format_report(report))
        if not report.ok:
            raise CheckFailed(report.verdict())


def _projects(run: Path) -> Path:
    return run.parent / f"{run.name}-firmware"


def step_export(run: Path) -> None:
    """PlatformIO projects for an ESP32 DevKitC and an Arduino Nano 33 BLE (Cortex-M4)."""
    from .deploy.export import export_project, format_report

    for target in ("esp32", "cortex-m4"):
        print(format_report(export_project(run, target, _projects(run) / target)))


def step_emulate(run: Path) -> None:
    """The Cortex-M4 firmware's app in QEMU on the run's test split, against the Python reference."""
    from .deploy.emulate import emulate, format_report
    from .errors import CheckFailed

    report = emulate(_projects(run) / "cortex-m4")
    print(format_report(report))
    if not report.ok:
        raise CheckFailed("the emulated firmware disagrees with the Python streaming reference")


# Each step takes the run directory and raises the library's errors on failure.
STEPS = [("train", step_train), ("quantize", step_quantize), ("budget", step_budget),
         ("export", step_export), ("emulate", step_emulate)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinydistill.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/demo", help="run directory to (re)write")
    args = parser.parse_args(argv)
    from .errors import TinyDistillError
    from .quiet import import_tensorflow

    import_tensorflow()
    run = Path(args.out)
    for name, step in STEPS:
        print(f"== {name}", flush=True)
        try:
            step(run)
        except TinyDistillError as exc:
            print(f"Error in step {name}: {exc}", file=sys.stderr)
            return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
