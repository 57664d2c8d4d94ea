"""The data and the teacher of each data configuration (one per window length), made once.

Every trial of a study reuses them: the windows are prepared once per worker process,
and the teacher is trained once per study folder and cached there as a .keras file
(under a file lock, so workers started together train it once, not once each).
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
from contextlib import contextmanager
from pathlib import Path

from .. import __version__, atomic
from ..training.train import Prepared, TrainConfig, prepare

# TrainConfig fields that change the windows or the teacher (the others only touch the student).
_TEACHER_KEYS = ("dataset", "csv", "group", "label", "channels", "time", "sample_rate_hz", "split_by", "task",
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
    fields = {k: getattr(config, k) for k in _TEACHER_KEYS} | {"version": __version__}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:16]


class DataCache:
    """Prepared data and the trained teacher per window, for one study folder."""

    def __init__(self, config: TrainConfig, folder: Path, log):
        self.config, self.folder, self.log = config, Path(folder), log
        self._prepared: dict[int | None, Prepared] = {}
        self._teachers: dict[int, object] = {}
        self._frozen: dict[int, tuple] = {}
        self._records: dict[int, dict] = {}

    def config_for(self, window: int | None) -> TrainConfig:
        return dataclasses.replace(self.config, window=window)

    def prepared(self, window: int | None = None) -> Prepared:
        """The windows (train/val/test, normalized) at `window` samples (None: the data's default)."""
        if window not in self._prepared:
            self._prepared[window] = prepare(self.config_for(window))
            self._prepared.setdefault(self._prepared[window].window, self._prepared[window])
        return self._prepared[window]

    def teacher(self, window: int):
        """The teacher (logits out) of the data at `window`: loaded from the study folder, or trained and saved."""
        if window in self._teachers:
            return self._teachers[window]
        import keras

        config = self.config_for(window)
        path = self.folder / "teachers" / f"{teacher_key(config)}.keras"
        with locked(path.with_suffix(".lock")):
            if not path.is_file():
                self.log(f"teacher for window {window}: training (once for the study)")
                model, history, info = train_teacher(config, self.prepared(window), self.log)
                # The record first: a teacher file without its record is never seen.
                atomic.write_text(path.with_suffix(".json"), json.dumps(
                    {"config": {k: getattr(config, k) for k in _TEACHER_KEYS}, "history": history, "info": info},
                    default=str, indent=2))
                tmp = path.with_name(f".{path.stem}.tmp.keras")
                model.save(tmp)
                tmp.replace(path)  # atomic: another worker sees the whole file or none
            self._teachers[window] = keras.models.load_model(path, compile=False)
            self._records[window] = json.loads(path.with_suffix(".json").read_text())
        return self._teachers[window]

    def record(self, window: int) -> dict:
        """How the teacher at `window` trained: {"config", "history", "info"} (for the run directory)."""
        self.teacher(window)
        return self._records[window]

    def frozen(self, window: int) -> tuple:
        """(lookup model, teacher outputs on the training windows): what the students distil from."""
        if window not in self._frozen:
            from ..training import recipe

            self._frozen[window] = recipe.frozen_outputs(self.teacher(window), self.prepared(window).data["train"]["xt"])
        return self._frozen[window]


def train_teacher(config: TrainConfig, prep: Prepared, log):
    """(teacher, history, fit info): the teacher of `train`, trained the same way (recipe, validation
    selection, batch-norm recalibration)."""
    import keras
    import tensorflow as tf

    from ..tasks import get_task
    from ..training import models, recipe

    tf.config.experimental.enable_op_determinism()
    task = get_task(prep.task)
    tr, va = prep.data["train"], prep.data["val"]
    keras.utils.set_random_seed(config.seed)
    teacher = models.build("teacher", task, tr["xt"].shape[1:], len(prep.classes),
                           config.teacher_width or task.widths[0])
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True) if task.outputs_classes else "mse"
    budget = recipe.step_budget(len(tr["y"]), config.batch_size, config.teacher_epochs)
    teacher.compile(optimizer=recipe.optimizer(config.teacher_learning_rate, budget), loss=loss,
                    **recipe.compile_options(budget))
    val = (va["xt"], va["y"]) if len(va["y"]) else None
    validate = recipe.Validator(task, teacher, (tr["xt"], tr["y"]), val, config.seed)
    history, info = recipe.fit(teacher, (tr["xt"], tr["y"]), teacher, validate, budget, seed=config.seed,
                               batch_size=config.batch_size, log=log, phase="teacher")
    models.recalibrate_batch_norm(teacher, tr["xt"])
    return teacher, history, info
