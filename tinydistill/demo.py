"""`make demo`: the whole chain on the shipped data, as a sequence of library steps.

    python -m tinydistill.demo --out runs/demo

Step 1 trains on basic-motions with the gyroscope as privileged information: the
teacher sees accelerometer and gyroscope, the student (and the baseline) only the
accelerometer, the sensor a cheap board actually carries. That is the product's
point: the lab's extra sensor improves the device's model without being on it.
Later steps (quantize, budget, export, emulate) append themselves to STEPS.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PRIVILEGED = ("gyro_x", "gyro_y", "gyro_z")


def step_train(run: Path) -> None:
    """Teacher (acc + gyro) -> distilled accelerometer student, plus the baseline."""
    from .train import TrainConfig, comparison_table, train

    result = train(TrainConfig(dataset="basic-motions", privileged=PRIVILEGED, overwrite=True), run)
    print(comparison_table(result))
    print(f"run directory: {result.path}")


# Each step takes the run directory; the integrator appends quantize, budget, export, emulate.
STEPS = [("train", step_train)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tinydistill.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/demo", help="run directory to (re)write")
    args = parser.parse_args(argv)
    from .errors import TinyDistillError

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
