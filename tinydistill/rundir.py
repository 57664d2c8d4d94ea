"""The run directory: everything a later step needs, written by `train`, read by the rest.

Layout (the contract between the steps):

    config.json         resolved configuration; keys listed in RunConfig below
    normalization.json  {"channels": [...], "mean": [...], "std": [...]} over the
                        training split, for every channel the teacher saw
    teacher.keras  student.keras  baseline.keras
    splits.npz          the student's windows, normalized float32 [N, W, C_student]:
                        x_train y_train x_val y_val x_test y_test
    test_stream.csv     the test split as a recorded stream: `rec`, the student's
                        channels (raw, not normalized), `label`
    history.json        training curves
    metrics.json        {"teacher": {...}, "student": {...}, "baseline": {...}, ...}
    student_int8.tflite written by `quantize`
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import atomic
from .errors import TinyDistillError

# Keys `train` writes into config.json (others may add keys, never change these):
#   task: "classify" | "forecast" | "anomaly"
#   dataset: built-in name or the CSV path;  channels: every channel, teacher order
#   student_channels: the device's channels, student input order;  privileged: list
#   window, hop, horizon (forecast), sample_rate_hz, labels (class names; anomaly:
#   ["normal", "anomaly"]), threshold (anomaly score threshold of the float student),
#   seed, and the training hyper-parameters.
CONFIG_KEYS = ("task", "dataset", "channels", "student_channels", "privileged", "window", "hop", "sample_rate_hz", "labels", "seed")


@dataclass(frozen=True)
class RunDir:
    """A run directory on disk."""

    path: Path

    def file(self, name: str) -> Path:
        return self.path / name

    def require(self, *names: str) -> None:
        missing = [n for n in names if not self.file(n).exists()]
        if missing:
            raise TinyDistillError(
                f"run directory {self.path} lacks {', '.join(missing)}; re-run `tinydistill train --out {self.path}`"
            )

    def _json(self, name: str) -> Any:
        self.require(name)
        return json.loads(self.file(name).read_text())

    @property
    def config(self) -> dict:
        return self._json("config.json")

    @property
    def metrics(self) -> dict:
        return self._json("metrics.json") if self.file("metrics.json").exists() else {}

    @property
    def normalization(self) -> dict:
        return self._json("normalization.json")

    def update_metrics(self, key: str, value: dict) -> None:
        """Set one sibling key of metrics.json, atomically, keeping the others."""
        metrics = self.metrics
        metrics[key] = value
        atomic.write_text(self.file("metrics.json"), json.dumps(metrics, indent=2, sort_keys=True) + "\n")

    def splits(self) -> dict[str, np.ndarray]:
        self.require("splits.npz")
        with np.load(self.file("splits.npz")) as data:
            return {k: data[k] for k in data.files}

    def load_model(self, name: str):
        """Load `name`.keras (teacher, student or baseline)."""
        import keras

        from .training import layers  # noqa: F401  (registers the project's custom layers, if any)

        self.require(f"{name}.keras")
        return keras.models.load_model(self.file(f"{name}.keras"), compile=False)


def open_run(path: str | os.PathLike) -> RunDir:
    """Open an existing run directory, or explain how to make one."""
    path = Path(path)
    if not (path / "config.json").is_file():
        raise TinyDistillError(f"{path} is not a run directory (no config.json); create one with `tinydistill train --out {path}`")
    return RunDir(path)


def write_json(path: Path, value: Any) -> None:
    """Write JSON the way every run file is written: sorted, indented, atomic."""
    atomic.write_text(path, json.dumps(value, indent=2, sort_keys=True) + "\n")
