"""The data and the teacher of each data configuration (one per window length), made once.

Every trial of a study reuses them: the windows are prepared once per worker process, and
the teacher is trained once per study folder by `train`'s own teacher code and kept as a run
directory holding only its teacher (`teachers/<key>/`), which every trial and the picked run
load through `--teacher-from`'s check (same task, channels, windows, split and normalization).
A file lock makes workers started together train it once, not once each. `--teacher-from RUN`
supplies the teacher of the window that run was trained at instead.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
from contextlib import contextmanager
from pathlib import Path

from .. import __version__
from ..training.train import TRAINING_KEYS, Prepared, TrainConfig, prepare

# TrainConfig fields that change the windows or the teacher (the others only touch the student).
TEACHER_KEYS = ("dataset", "csv", "group", "label", "channels", "time", "sample_rate_hz", "split_by", "task",
                 "window", "hop", "horizon", "predict_channel", "privileged", "privileged_time", "normal_class",
                 "teacher_epochs", "batch_size", "teacher_learning_rate", "teacher_width", "seed")


@contextmanager
def locked(path: Path):
    """An exclusive advisory lock on `path` (created if missing) for the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def teacher_key(config: TrainConfig) -> str:
    """A short hash of what determines the teacher (and its data)."""
    fields = {k: getattr(config, k) for k in TEACHER_KEYS} | {"version": __version__}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:16]


class DataCache:
    """Prepared data and the trained teacher per window, for one study folder."""

    def __init__(self, config: TrainConfig, folder: Path, log):
        self.config, self.folder, self.log = config, Path(folder), log
        self._prepared: dict[int | None, Prepared] = {}
        self._teachers: dict[int, tuple] = {}
        self._frozen: dict[int, tuple] = {}

    def config_for(self, window: int | None) -> TrainConfig:
        return dataclasses.replace(self.config, window=window, teacher_from=None)

    def prepared(self, window: int | None = None) -> Prepared:
        """The windows (train/val/test, normalized) at `window` samples (None: the data's default)."""
        if window not in self._prepared:
            self._prepared[window] = prepare(self.config_for(window))
            self._prepared.setdefault(self._prepared[window].window, self._prepared[window])
        return self._prepared[window]

    def _given(self, window: int) -> Path | None:
        """The --teacher-from run when it holds the teacher of `window` (None: the study trains that one)."""
        given = self.config.teacher_from
        return Path(given) if given is not None and run_window(given) == window else None

    def teacher_dir(self, window: int) -> Path:
        """The run directory whose teacher the students at `window` distil from."""
        return self._given(window) or self.folder / "teachers" / teacher_key(self.config_for(window))

    def teacher_id(self, window: int) -> str:
        """What names the teacher of `window` wherever the folder lies: its key when the study trains it,
        else the given run's absolute path."""
        given = self._given(window)
        return str(given.resolve()) if given is not None else teacher_key(self.config_for(window))

    def teacher(self, window: int):
        """The teacher (logits out) of the data at `window`: loaded, or trained once and saved."""
        return self._loaded(window)[0]

    def record(self, window: int) -> dict:
        """{"history", "info"} of the teacher at `window` (info names the run it came from)."""
        _, history, info = self._loaded(window)
        return {"history": history, "info": info}

    def _loaded(self, window: int) -> tuple:
        from ..training.train import reused_teacher

        if window not in self._teachers:
            path = self.teacher_dir(window)
            if self._given(window) is None:
                with locked(path.with_suffix(".lock")):
                    if not (path / "metrics.json").is_file():  # written last: a complete teacher run
                        self.log(f"teacher for window {window}: training (once for the study)")
                        train_teacher(self.config_for(window), self.prepared(window), path, self.log)
            self._teachers[window] = reused_teacher(path, self.prepared(window))
        return self._teachers[window]

    def frozen(self, window: int) -> tuple:
        """(lookup model, teacher outputs on the training windows): what the students distil from."""
        if window not in self._frozen:
            from ..training import recipe

            train_xt = self.prepared(window).data["train"]["xt"]
            self._frozen[window] = recipe.frozen_outputs(self.teacher(window), train_xt)
        return self._frozen[window]


def run_window(run_path) -> int | None:
    """The window length a run directory was trained at (None when it has no readable config)."""
    try:
        return int(json.loads((Path(run_path) / "config.json").read_text())["window"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # reused_teacher says what is wrong with it, if it is ever used


def train_teacher(config: TrainConfig, prep: Prepared, out_dir: Path, log) -> None:
    """`train`'s teacher on `prep`, trained as `train` trains it and written as a run directory
    holding only the teacher (what --teacher-from reads)."""
    import keras
    import tensorflow as tf

    from ..tasks import get_task
    from ..training import models
    from ..training.train import fit_teacher, write_run

    tf.config.experimental.enable_op_determinism()
    task = get_task(prep.task)
    width = config.teacher_width or task.widths[0]
    keras.utils.set_random_seed(config.seed)
    teacher = models.build("teacher", task, prep.data["train"]["xt"].shape[1:], len(prep.classes), width)
    history, info = fit_teacher(config, prep, teacher, log)
    metrics = {"training": {"teacher": {k: info[k] for k in TRAINING_KEYS}}}
    write_run(out_dir, dataclasses.replace(config, overwrite=True), prep, teacher, {}, {"teacher": history}, metrics,
              None, (width, None))
