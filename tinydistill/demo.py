"""`make demo`: the whole chain on the shipped data, as a sequence of library steps.

    python -m tinydistill.demo --out runs/demo

train -> quantize (int8) -> budget (Cortex-M0+ and Cortex-M4) -> export (ESP32 and
Cortex-M4 PlatformIO projects) -> emulate (the Cortex-M4 firmware in QEMU on the
test split, compared with the Python streaming reference) -> report (one HTML page
with every figure; its path is the last line printed). Step 1 trains on basic-motions with the gyroscope as privileged information: the
teacher sees accelerometer and gyroscope, the student (and the baseline) only the
accelerometer, the sensor a cheap board actually carries. That is the product's
point: the lab's extra sensor improves the device's model without being on it.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PRIVILEGED = ("gyro_x", "gyro_y", "gyro_z")
# Students train 8,000+ steps by default (recipe.py); basic-motions needs far fewer, and
# the demo's point is the whole chain in about a minute, so it caps them (and says so).
DEMO_STUDENT_EPOCHS = 60


@dataclass
class Demo:
    """The demo's run directory, its options, and what each finished step returned (by name)."""

    run: Path
    epochs: int | None = None  # caps for a quick run (tests); None: the recipe's budget
    teacher_epochs: int | None = None
    done: dict = field(default_factory=dict)


def step_train(demo: Demo) -> None:
    """Teacher (acc + gyro) -> distilled accelerometer student, plus the baseline."""
    from .training.train import TrainConfig, comparison_table, train

    caps = {k: v for k, v in (("epochs", demo.epochs or DEMO_STUDENT_EPOCHS), ("teacher_epochs", demo.teacher_epochs))
            if v is not None}
    result = train(TrainConfig(dataset="basic-motions", privileged=PRIVILEGED, overwrite=True, **caps), demo.run,
                   progress=sys.stderr.isatty())
    print(comparison_table(result))
    print(f"(the demo caps student training at {caps['epochs']} epochs to finish in about a minute; "
          "`tinydistill train` without --epochs trains students for 8,000 to 36,000 steps)")
    print(f"run directory: {result.path}")


def step_quantize(demo: Demo) -> None:
    """Full-integer PTQ of the student; float and int8 metrics side by side."""
    from .errors import CheckFailed
    from .deploy.quantize import format_report, quantize_run

    report = quantize_run(demo.run)
    print(format_report(report))
    if not report.ok:
        raise CheckFailed(report.verdict())


def step_budget(demo: Demo) -> None:
    """The per-layer budget on the smallest and on the default board."""
    from .deploy.budget import check_budget, format_report
    from .errors import CheckFailed

    for target in ("cortex-m0plus", "cortex-m4"):
        report = check_budget(demo.run, target)
        print(format_report(report))
        if not report.ok:
            raise CheckFailed(report.verdict())


def _projects(demo: Demo) -> Path:
    return demo.run.parent / f"{demo.run.name}-firmware"


def step_export(demo: Demo) -> None:
    """PlatformIO projects for an ESP32 DevKitC and an Arduino Nano 33 BLE (Cortex-M4)."""
    from .deploy.export import export_project, format_report

    for target in ("esp32", "cortex-m4"):
        print(format_report(export_project(demo.run, target, _projects(demo) / target)))


def step_emulate(demo: Demo) -> object:
    """The Cortex-M4 firmware's app in QEMU on the run's test split, against the Python reference."""
    from .deploy.emulate import emulate, format_report
    from .errors import CheckFailed

    report = emulate(_projects(demo) / "cortex-m4")
    print(format_report(report))
    if not report.ok:
        raise CheckFailed("the emulated firmware disagrees with the Python streaming reference")
    return report


def step_report(demo: Demo) -> None:
    """The run's report with the emulated firmware's sections (the emulation above, not a second one)."""
    from .report import write_report

    report = write_report(demo.run, emulation=demo.done.get("emulate"))
    print(f"report: {report.path.resolve()}")


# Each step takes the Demo (its run directory and what earlier steps returned) and raises the
# library's errors on failure.
STEPS = [("train", step_train), ("quantize", step_quantize), ("budget", step_budget),
         ("export", step_export), ("emulate", step_emulate), ("report", step_report)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinydistill.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/demo", help="run directory to (re)write")
    parser.add_argument("--epochs", type=int, help="cap the students' epochs (a quick run; default: the recipe's budget)")
    parser.add_argument("--teacher-epochs", type=int, help="cap the teacher's epochs")
    args = parser.parse_args(argv)
    from .errors import TinyDistillError
    from .quiet import import_tensorflow

    import_tensorflow()
    demo = Demo(Path(args.out), args.epochs, args.teacher_epochs)
    for name, step in STEPS:
        print(f"== {name}", flush=True)
        try:
            demo.done[name] = step(demo)
        except TinyDistillError as exc:
            print(f"Error in step {name}: {exc}", file=sys.stderr)
            return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
