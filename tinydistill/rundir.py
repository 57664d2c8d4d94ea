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
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from . import atomic
from .errors import TinyDistillError
from .tasks import TASKS, Task

# Keys `train` writes into config.json (others may add keys, never change these);
# RunConfig below parses and checks them once for every reader:
#   task: a tasks.TASKS name
#   dataset: built-in name or the CSV path;  channels: every channel, teacher order
#   student_channels: the device's channels, student input order;  privileged: list
#   window, hop, horizon (forecast), sample_rate_hz, labels (class names; anomaly:
#   ["normal", "anomaly"]), threshold (anomaly score threshold of the float student),
#   seed, and the training hyper-parameters.
CONFIG_KEYS = ("task", "dataset", "channels", "student_channels", "privileged", "window", "hop", "sample_rate_hz", "labels", "seed")
# One default for every reader: a stream whose rate nobody gave is counted in samples.
DEFAULT_SAMPLE_RATE_HZ = 1.0


@dataclass(frozen=True)
class RunConfig:
    """config.json, parsed and checked once; `raw` keeps every key for what is not modelled here."""

    task: str
    channels: tuple[str, ...]
    student_channels: tuple[str, ...]
    window: int
    hop: int
    dataset: str = ""
    privileged: tuple[str, ...] = ()
    privileged_time: int = 0
    horizon: int | None = None
    predict_channel: str | None = None  # forecast: defaults to the first student channel
    sample_rate_hz: float = DEFAULT_SAMPLE_RATE_HZ
    labels: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    normal_class: str | None = None
    threshold: float | None = None
    seed: int = 0
    group: str | None = None         # CSV runs: how to read more of the same CSV
    label_column: str | None = None
    time: str | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_dict(cls, data: Any, source: str = "config.json") -> RunConfig:
        """Validate `data`; a missing or malformed key raises TinyDistillError naming it."""
        if not isinstance(data, dict):
            raise TinyDistillError(f"{source} must hold a JSON object; re-run `tinydistill train`")

        def bad(key, want):
            raise TinyDistillError(f"{source}: key {key!r} should be {want}, got {data.get(key)!r}; "
                                   "fix it or re-run `tinydistill train`")

        def names(key, required=False):
            v = data.get(key)
            if v is None and not required:
                return ()
            if not isinstance(v, (list, tuple)) or not all(isinstance(s, str) for s in v) or (required and not v):
                bad(key, "a non-empty list of names" if required else "a list of names")
            return tuple(v)

        def integer(key, low, default=None, required=False):
            v = data.get(key)
            if v is None and not required:
                return default
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                bad(key, f"an integer >= {low}")
            return v

        def text(key):
            v = data.get(key)
            if v is not None and not isinstance(v, str):
                bad(key, "a string")
            return v

        def number(key):
            v = data.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                bad(key, "a number")
            return None if v is None else float(v)

        task = data.get("task")
        if not isinstance(task, str) or task not in TASKS:
            bad("task", f"one of {', '.join(TASKS)}")
        student = names("student_channels", required=True)
        rate = number("sample_rate_hz")
        if rate is not None and rate <= 0:
            bad("sample_rate_hz", "a positive number")
        predict = text("predict_channel")
        if TASKS[task].predicts and not predict:
            predict = student[0]
        return cls(
            task=task, channels=names("channels", required=True), student_channels=student,
            window=integer("window", 1, required=True), hop=integer("hop", 1, required=True),
            dataset=str(data.get("dataset") or ""),
            privileged=names("privileged"), privileged_time=integer("privileged_time", 0, 0),
            horizon=integer("horizon", 0), predict_channel=predict,
            sample_rate_hz=DEFAULT_SAMPLE_RATE_HZ if rate is None else rate, labels=names("labels"), classes=names("classes"),
            normal_class=text("normal_class"), threshold=number("threshold"), seed=integer("seed", 0, 0),
            group=text("group"), label_column=text("label_column"), time=text("time"), raw=dict(data))

    @property
    def task_spec(self) -> Task:
        """The tasks.Task of this run."""
        return TASKS[self.task]


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
        try:
            return json.loads(self.file(name).read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise TinyDistillError(f"{self.file(name)} is not valid JSON ({exc}); re-run `tinydistill train`") from None

    @property
    def config(self) -> dict:
        """config.json as written (prefer `run_config`, checked and typed)."""
        return self._json("config.json")

    @cached_property
    def run_config(self) -> RunConfig:
        return RunConfig.from_dict(self.config, source=str(self.file("config.json")))

    @property
    def metrics(self) -> dict:
        return self._json("metrics.json") if self.file("metrics.json").exists() else {}

    @property
    def normalization(self) -> dict:
        return self._json("normalization.json")

    def normalization_for(self, channels) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) of `channels`, in that order, from normalization.json (float64)."""
        norm = self.normalization
        index = {c: i for i, c in enumerate(norm.get("channels", []))}
        missing = [c for c in channels if c not in index]
        if missing:
            raise TinyDistillError(f"normalization.json of {self.path} lacks {', '.join(missing)}; re-run training")
        pos = [index[c] for c in channels]
        return np.asarray(norm["mean"], np.float64)[pos], np.asarray(norm["std"], np.float64)[pos]

    def target_std(self) -> float:
        """Forecast: the predicted channel's std (`mae_raw` = `mae` × it); 1.0 for other tasks."""
        cfg = self.run_config
        if not cfg.task_spec.predicts:
            return 1.0
        return float(self.normalization_for([cfg.predict_channel])[1][0])

    def int8_model(self) -> Path:
        """RUN/student_int8.tflite, or an error saying how to make it."""
        path = self.file("student_int8.tflite")
        if not path.is_file():
            raise TinyDistillError(f"{self.path} has no int8 model yet; run `tinydistill quantize {self.path}` first")
        return path

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
