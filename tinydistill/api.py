"""The Python API: each step of the command line as one function (imported lazily by `tinydistill`).

    import tinydistill as td
    run = td.train(dataset="basic-motions", privileged=["gyro_x", "gyro_y", "gyro_z"], out="runs/bm")
    td.quantize(run)                                  # RUN/student_int8.tflite, float vs int8
    td.budget(run, target="cortex-m4").ok             # flash / RAM / latency on a board
    td.export(run, target="esp32", out="fw/bm")       # PlatformIO project
    td.emulate("fw/bm").agreement                     # the firmware's app vs the Python reference
    td.codegen("model.tflite", out="c/", check=True)  # C for any full-int8 model

Errors are `tinydistill.errors.TinyDistillError` (bad input) and `CheckFailed` (a check ran
and failed), as on the command line.
"""

from __future__ import annotations

import os
from pathlib import Path


def train(out: str | os.PathLike, *, x=None, y=None, channels=None, groups=None, sample_rate_hz: float = 1.0,
          teacher=None, student=None, progress: bool = True, **options):
    """Train teacher, distilled student and baseline; returns the RunDir written at `out`.

    Data: `dataset="basic-motions"`, or `csv=..., group=..., label=..., channels=[...]` as on the
    command line, or NumPy arrays: `x` [recordings, samples, channels] (or a list of [samples,
    channels]) and `y` (one label per recording or per sample), with optional `channels` names,
    `groups` (one per recording, kept apart by the split) and `sample_rate_hz`.
    Models: `teacher` / `student` may be your own keras.Model (one input window, logits out);
    each model trained is a fresh copy with new weights. Every other option of
    `tinydistill train` is a keyword (`privileged=[...]`, `window=32`, `seed=0`, ...).
    """
    from .training.train import TrainConfig
    from .training.train import train as run_training

    data = None
    if x is not None or y is not None:
        if x is None or y is None:
            from .errors import TinyDistillError

            raise TinyDistillError("give both x (windows or recordings) and y (their labels)")
        from .data.arrays import from_arrays

        data = from_arrays(x, y, channels=channels, groups=groups, sample_rate_hz=sample_rate_hz)
    elif channels is not None:
        options["channels"] = channels
    config = TrainConfig(**options)
    return run_training(config, out, progress=progress, data=data, teacher=teacher, student=student)


def quantize(run, max_drop: float | None = None):
    """Full-int8 student (RUN/student_int8.tflite); returns the QuantizeReport (`.ok`, `.drop`)."""
    from .deploy.quantize import quantize_run

    return quantize_run(run, max_drop=max_drop)


def _int8(run) -> None:
    """Quantize a run directory that has no int8 student yet (what the command line does too)."""
    path = Path(getattr(run, "path", run))
    if path.is_dir():
        from .deploy.quantize import ensure_int8
        from .rundir import open_run

        ensure_int8(open_run(path))


def budget(model, target: str, *, max_flash=None, max_ram=None, max_latency=None):
    """Budget of a run's int8 student (quantized first if needed) or of a .tflite on `target`."""
    from .deploy.budget import check_budget

    _int8(model)
    return check_budget(getattr(model, "path", model), target, max_flash, max_ram, max_latency)


def export(run, target: str, out: str | os.PathLike, **options):
    """PlatformIO project for `target` at `out` (the run is quantized first if needed); an ExportReport."""
    from .deploy.export import export_project

    _int8(run)
    return export_project(getattr(run, "path", run), target, out, **options)


def emulate(project: str | os.PathLike, **options):
    """Build and run an exported project's app on its recorded stream; an EmulationReport."""
    from .deploy.emulate import emulate as run_emulation

    return run_emulation(project, **options)


def codegen(model, out: str | os.PathLike, *, prefix: str = "td_model", check: bool = False, windows: int = 100):
    """C99 for a full-int8 .tflite (path or bytes) in `out`; with `check`, also the CheckReport against
    the TFLite reference interpreter. Returns (written paths, CheckReport or None)."""
    from .engine.check import check_model
    from .engine.codegen import generate

    report = check_model(model, n_windows=windows) if check else None
    return generate(model, out, prefix=prefix), report


__all__ = ["budget", "codegen", "emulate", "export", "quantize", "train"]
