"""One trial: a candidate's budget on the untrained int8 model, then (if it fits) its training and score.

The budget comes first and costs no training step: flash, RAM and latency depend on the
layer shapes only, so the untrained student converted to int8 gives the same figures as
the trained one. A candidate over budget is pruned there. One that fits trains as `train`
trains a student (fits.py; once per cache folder), with the recipe: the distilled candidate
(the trial's T and alpha) and its baseline (alpha = 0, same seed), the better on validation
kept, quantized, and scored on the validation split through the int8 reference interpreter
(never on test).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import numpy as np

from . import fits, space
from ..errors import TinyDistillError
from ..tasks import get_task


@dataclass(frozen=True)
class Limits:
    """The target and the limits every candidate is checked against (None: the target's own)."""

    target: str
    max_flash: str | int | None = None
    max_ram: str | int | None = None
    max_latency: str | float | None = None

    def as_dict(self) -> dict:
        return {"target": self.target, "max_flash": self.max_flash, "max_ram": self.max_ram,
                "max_latency": self.max_latency}


def budget_of(student, prep, limits: Limits):
    """The BudgetReport of `student` converted to int8 on the training windows (its weights are replaced
    by random ones: the figures depend on the shapes only), batch norm folded first as when it is saved."""
    from ..deploy.budget import check_budget
    from ..deploy.quantize import convert_int8
    from ..training.models import fold_batch_norm

    student = fold_batch_norm(student)  # before the random weights: a negative variance cannot fold

    # Fresh Keras layers have all-zero biases, and the converter leaves an all-zero FULLY_CONNECTED
    # bias out of the flatbuffer (16 bytes fewer for 4 classes than the trained model): random
    # values, like trained ones, make the budget the trained model's.
    rng = np.random.default_rng(0)
    for w in student.weights:
        w.assign(rng.normal(0.0, 0.1, tuple(w.shape)).astype(np.float32))
    model = fits.saved_form(student, prep.task)
    tflite = convert_int8(model, prep.data["train"]["xs"])
    # At the data's hop, as `budget` checks the run: a student that streams there is checked per hop.
    return check_budget(tflite, limits.target, limits.max_flash, limits.max_ram, limits.max_latency,
                        layer_names=[layer.name for layer in model.layers], hop=prep.hop)


def budget_summary(report) -> dict:
    return {"ok": report.ok, "flash": report.flash_bytes, "ram": report.ram_bytes, "latency_s": report.latency_s,
            "params": report.analysis.params, "macs": report.analysis.macs,
            "over": [k for k, v in report.over.items() if v]}


class Objective:
    """The Optuna objective: (validation metric, latency on the target, flash), or pruned by the budget."""

    def __init__(self, setup, cache, log):
        self.setup, self.cache, self.log = setup, cache, log

    def __call__(self, trial):
        import optuna

        s = self.setup
        p = space.suggest(trial, s.windows, s.train.task)
        prep = self.cache.prepared(p["window"])
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        trial.set_user_attr("candidate", space.describe(p))
        try:  # a shape the window cannot hold, or the int8 converter refuses: no point training it
            student = space.build_student(p, prep.data["train"]["xs"].shape[1:], prep.task, len(prep.classes))
            report = budget_of(student, prep, s.limits)
        except TinyDistillError as exc:
            trial.set_user_attr("pruned_by", f"shape: {exc}")
            raise optuna.TrialPruned(str(exc))
        trial.set_user_attr("budget", budget_summary(report))
        if not report.ok:
            trial.set_user_attr("pruned_by", "budget")
            self.log(f"trial {trial.number}: {space.describe(p)} pruned before training: "
                     f"{report.verdict().splitlines()[-1].strip()}")
            raise optuna.TrialPruned("over budget")
        fitted = fits.fitted(p, self.cache, self.log)
        val = fitted["val_int8"]
        metric = get_task(prep.task).primary
        trial.set_user_attr("val_int8", val)
        trial.set_user_attr("val_float", fitted["chosen"]["val"])
        trial.set_user_attr("distilled", fitted["distilled"])
        self.log(f"trial {trial.number}: {space.describe(p)}: val int8 {metric} {val[metric]:.4f}, "
                 f"latency {report.latency_s * 1e3:.3f} ms, flash {report.flash_bytes:,} B, RAM {report.ram_bytes:,} B"
                 f"{'' if fitted['distilled'] else ' (baseline won on validation)'}")
        return float(val[metric]), float(report.latency_s), float(report.flash_bytes)
