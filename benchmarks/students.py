"""The benchmark students: runs/bench-<dataset>, trained with `tinydistill.training.train` defaults
when missing and shared by model_sizes.py, engine_vs_tflm.py and calibrate_costs.py."""

from __future__ import annotations

from pathlib import Path


def student_run(dataset: str, runs: Path) -> Path:
    """runs/bench-<dataset>, trained with the defaults if missing."""
    from tinydistill.training.train import TrainConfig, train

    out = runs / f"bench-{dataset}"
    if not (out / "student.keras").is_file():
        config = TrainConfig(dataset=dataset, overwrite=True)
        config.validate()
        train(config, out, progress=False)
    return out


def student_model(dataset: str, runs: Path) -> Path:
    """runs/bench-<dataset>/student_int8.tflite, trained with the defaults if missing."""
    from tinydistill.deploy.quantize import ensure_int8
    from tinydistill.rundir import open_run

    return ensure_int8(open_run(student_run(dataset, runs)))
