"""Trained candidates, kept by what determines them and trained once per cache folder.

A candidate's students (the distilled one and its baseline) and the chosen one's int8 score
on validation depend only on the data and teacher of its window, the training caps and seed,
and its parameters; not on the target or the limits that let it train. Each is kept in `fits/<key>/` of the cache folder (the search
folder unless `--cache` names another), so every study that shares the folder reuses it: a
search of the same data for another board, a resumed study, a retried trial, and the picked
run. A file lock makes workers that sample the same candidate at once train it once.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from . import space
from .teacher import DataCache, locked
from .. import __version__, atomic
from ..tasks import get_task

STUDENT_KEYS = ("epochs", "learning_rate", "batch_size", "seed")  # TrainConfig fields the students' training reads
ROLES = ("kd", "base", "chosen")
RECORD_KEYS = ("history", "info", "temperature", "alpha", "seed", "score", "val")
FORMAT = 2  # 2: the entry keeps the chosen student's int8 validation metrics ("val_int8")


def fit_key(p: dict, cache: DataCache) -> str:
    """A short hash of the candidate `p`, its window's teacher and data, and the students' training caps."""
    fields = {"candidate": p, "teacher": cache.teacher_id(p["window"]), "version": __version__, "format": FORMAT,
              "student": {k: getattr(cache.config, k) for k in STUDENT_KEYS}}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:16]


def fitted(p: dict, cache: DataCache, log) -> dict:
    """The candidate's students, trained and scored here or read from the cache folder: {"kd", "base",
    "chosen"} (Candidates.fit dicts; "base" and "chosen" with their model), "distilled", and "val_int8"
    (the chosen student's int8 metrics on validation, what the search optimizes)."""
    path = cache.folder / "fits" / fit_key(p, cache)
    with locked(path.with_suffix(".lock")):
        if not (path / "record.json").is_file():  # written last: a complete entry
            fit = train_candidate(p, cache, log)
            fit["val_int8"] = val_metrics(fit["chosen"]["model"], cache.prepared(p["window"]))
            save(path, fit)
            return fit
    log(f"{space.describe(p)}: trained before, read from {path}")
    return load(path)


def saved_form(model, task):
    """The model as a run directory saves it (classifiers end in softmax): what `quantize` converts."""
    from ..training import models

    return models.with_softmax(model) if get_task(task).outputs_classes else model


def val_metrics(student, prep) -> dict:
    """The int8 student's metrics on the validation split."""
    from .. import scoring
    from ..deploy.quantize import convert_int8

    va = prep.data["val"]
    tflite = convert_int8(saved_form(student, prep.task), prep.data["train"]["xs"])
    std = float(prep.std[prep.channels.index(prep.predict)])
    return scoring.task_metrics(prep.task, va["xs"], va["y"], scoring.predict_int8(tflite, va["xs"]),
                                last=va["last"], std=std)


def train_candidate(p: dict, cache: DataCache, log) -> dict:
    """Train the distilled candidate and its baseline as `train` trains a student, the better on validation chosen."""
    from ..training import models, recipe, selection

    prep, config = cache.prepared(p["window"]), cache.config
    task = get_task(prep.task)
    tr, va = prep.data["train"], prep.data["val"]
    kd_teacher, frozen = cache.frozen(p["window"])
    budget = recipe.step_budget(len(tr["y"]), config.batch_size, config.epochs, role="student")
    candidates = recipe.Candidates(lambda: space.build_student(p, tr["xs"].shape[1:], task, len(prep.classes)),
                                   kd_teacher, task, config.learning_rate, budget, batch_size=config.batch_size,
                                   log=log)
    inputs = {"student": tr["xs"], "teacher": frozen}

    def fit(alpha, role):
        return candidates.fit(inputs, tr["y"], (tr["xs"], tr["y"]), (va["xs"], va["y"]),
                              temperature=p["temperature"], alpha=alpha, seed=config.seed,
                              phase=f"{role} T={p['temperature']:.3g} alpha={alpha:.3g}")

    base, kd = fit(0.0, "baseline"), fit(p["alpha"], "student")
    for one in (base, kd):  # evaluated and saved as they deploy
        one["model"] = models.fold_batch_norm(one["model"])
    # As in `train`: distillation is used only when it wins on validation (the baseline wins ties).
    chosen = (base, kd)[selection.best([base, kd])]
    return {"kd": kd, "base": base, "chosen": chosen, "distilled": chosen is kd}


def save(path: Path, fit: dict) -> None:
    """student.keras (the chosen one), baseline.keras and record.json: all or nothing."""
    record = {role: {k: fit[role][k] for k in RECORD_KEYS} for role in ROLES}
    record |= {"distilled": fit["distilled"], "val_int8": fit["val_int8"]}
    with atomic.new_directory(path, overwrite=True) as tmp:
        fit["chosen"]["model"].save(tmp / "student.keras")
        fit["base"]["model"].save(tmp / "baseline.keras")
        atomic.write_text(tmp / "record.json", json.dumps(record, indent=2, default=_plain))


def load(path: Path) -> dict:
    """What `save` kept, in the form train_candidate returns (the distilled model only when chosen)."""
    import keras

    record = json.loads((path / "record.json").read_text())
    out = {role: dict(record[role]) for role in ROLES} | {k: record[k] for k in ("distilled", "val_int8")}
    out["chosen"]["model"] = keras.models.load_model(path / "student.keras", compile=False)
    out["base"]["model"] = keras.models.load_model(path / "baseline.keras", compile=False)
    return out


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
