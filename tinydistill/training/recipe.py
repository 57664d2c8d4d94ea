"""The training recipe shared by `train` and the benchmarks: a step budget that follows the
data size, warm-up + cosine learning rate, early stopping on a validation metric computed
on the labels, and the best-validation weights restored.

A fixed epoch count is wrong at both ends: 60 epochs of 120 windows is 240 optimizer
steps (students stayed at chance on small UCR sets), while 60 epochs of 4,000 windows
wastes time. The budget is counted in optimizer steps; validation runs every
`period` steps (one epoch, but at least MIN_PERIOD steps so the per-call cost of Keras
stays small on tiny sets), and those evaluation periods are the "epochs" of history.json
and metrics.json's best_epoch (best_step says it in steps).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from . import selection

MIN_STEPS = 1000      # teachers: tiny sets still get enough updates to converge
EPOCHS = 30           # teachers: passes over the data when that exceeds MIN_STEPS
MAX_STEPS = 3000      # teachers: large sets converge well before 30 epochs
# Students need far more steps than their teachers: at 3,000 steps the default student
# scored 70 % on mnist1d and 62 % on OSULeaf; at 12,000 it scored 89 % and 78 % (and the
# distilled one 91 % on mnist1d, where at 3,000 steps it had been worse than alone).
# Distilled students need more again ("patient" distillation, Beyer et al. 2022): on mnist1d,
# where 12,000 steps was the cap, the distilled student gained 1.2 [0.5, 1.9] points at 36,000
# and went from -0.2 to +0.7 points against its baseline (benchmarks/RESULTS.md, "distill-table",
# variant "short"). Early stopping ends the baselines' longer budget.
STUDENT_MIN_STEPS = 8000
STUDENT_EPOCHS = 450
STUDENT_MAX_STEPS = 36000
MIN_PERIOD = 24       # steps between validations, at least
MAX_VALIDATIONS = 100  # validations per model, at most (a student's long budget is not scored every 24 steps)
PATIENCE = 0.25       # stop after this fraction of the periods without improvement
MIN_DELTA = 0.01      # tie-breaker gains (nats of cross-entropy) below this do not reset the patience
WARMUP = 0.05         # fraction of the steps with a linear learning-rate warm-up
STEPS_PER_CALL = 8    # optimizer steps per graph call
TRAIN_SAMPLE = 1024   # training windows scored per period (train metrics in history.json)


@dataclass(frozen=True)
class Budget:
    """How long one model trains: `periods` x `period` optimizer steps at most."""

    steps: int
    period: int
    periods: int
    patience: int
    steps_per_epoch: int


def step_budget(n_train: int, batch_size: int, max_epochs: int | None = None, *, role: str = "teacher",
                min_steps: int | None = None, epochs: int | None = None, max_steps: int | None = None) -> Budget:
    """The budget for `n_train` windows: clip(epochs x steps/epoch, min_steps, max_steps) with the
    `role`'s defaults ("teacher" or "student"), or exactly `max_epochs` epochs when given (a cap,
    for quick runs and tests)."""
    defaults = (STUDENT_MIN_STEPS, STUDENT_EPOCHS, STUDENT_MAX_STEPS) if role == "student" else \
        (MIN_STEPS, EPOCHS, MAX_STEPS)
    min_steps, epochs, max_steps = (v if v is not None else d for v, d in zip((min_steps, epochs, max_steps), defaults))
    spe = max(1, math.ceil(n_train / min(batch_size, max(1, n_train))))
    if max_epochs is not None:
        steps = max_epochs * spe
    else:
        steps = int(min(max(epochs * spe, min_steps), max_steps))
    # An explicit epoch cap validates every epoch; the step budget at least every MIN_PERIOD steps.
    # The step budget's period is a whole number of graph calls (STEPS_PER_CALL).
    period = spe if max_epochs is not None else \
        min(-(-max(spe, MIN_PERIOD, -(-steps // MAX_VALIDATIONS)) // STEPS_PER_CALL) * STEPS_PER_CALL, steps)
    periods = max(1, math.ceil(steps / period))
    return Budget(periods * period, period, periods, max(5, math.ceil(PATIENCE * periods)), spe)


def compile_options(budget: Budget) -> dict:
    """Keras compile() options: no XLA (its per-model compile time dwarfs these small models) and
    several steps per graph call (Keras' per-step Python cost does too). The steps per call
    divide the period: Keras rounds each period up to whole calls."""
    calls = next(k for k in (STEPS_PER_CALL, 4, 2, 1) if budget.period % k == 0)
    return {"jit_compile": False, "steps_per_execution": calls}


def optimizer(learning_rate: float, budget: Budget):
    """Adam with a linear warm-up then cosine decay to 1 % over the whole budget."""
    import keras

    warmup = int(WARMUP * budget.steps)
    schedule = keras.optimizers.schedules.CosineDecay(
        learning_rate * 0.1 if warmup else learning_rate, decay_steps=max(1, budget.steps - warmup), alpha=0.01,
        warmup_target=learning_rate if warmup else None, warmup_steps=warmup)
    return keras.optimizers.Adam(schedule)


def batches(x, y, batch_size: int, seed: int, mix_classes: int | None = None):
    """An endless, seeded, reshuffled-each-epoch tf.data stream of (x, y) batches; with
    `mix_classes`, every batch mixed (`mixed`), its labels as mixed one-hot vectors."""
    import tensorflow as tf

    # Our own tf.data pipeline: Keras' adapter for numpy arrays, under op determinism,
    # builds a dataset op this TensorFlow logs an error line about on every fit.
    n = len(y)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(n, seed=seed, reshuffle_each_iteration=True)
    ds = ds.repeat().batch(min(batch_size, n), drop_remainder=n >= batch_size)
    if mix_classes:
        ds = ds.enumerate().map(lambda i, batch: mixed(batch, i, classes=mix_classes, seed=seed))
    return ds


def mixed(batch, step, *, classes: int, seed: int):
    """Mixup batch for function matching (Beyer et al. 2022): each window becomes
    lam * itself + (1 - lam) * another window of the batch, lam ~ U(0, 1) per window, with the
    same mixture of every input (student and teacher windows) and of the one-hot labels.
    Stateless random numbers keyed on (seed, step): the same batches on every run."""
    import tensorflow as tf

    x, y = batch
    b = tf.shape(y)[0]
    lam = tf.random.stateless_uniform([b], seed=tf.stack([tf.cast(seed, tf.int64), 2 * step]))
    other = tf.argsort(tf.random.stateless_uniform([b], seed=tf.stack([tf.cast(seed, tf.int64), 2 * step + 1])))

    def mix(v):
        v = tf.cast(v, tf.float32)
        w = tf.reshape(lam, tf.concat([[b], tf.ones([tf.rank(v) - 1], tf.int32)], 0))
        return w * v + (1.0 - w) * tf.gather(v, other)

    xm = {k: mix(v) for k, v in x.items()} if isinstance(x, dict) else mix(x)
    return xm, mix(tf.one_hot(y, classes))


def fit(model, data, weights_model, validate, budget: Budget, *, seed: int, batch_size: int, log=None,
        phase: str = "", mix_classes: int | None = None) -> tuple[dict, dict]:
    """Train compiled `model` on (x, y) `data` within `budget`, keep the best-validation weights.

    `weights_model` is the network whose weights are selected (the student inside a
    Distiller); `validate()` returns {"val": score, "train": score} (selection scores,
    higher is better) for its current weights, or {"train": score} without validation
    data. Returns (history, info): per-period losses and metrics, and the steps trained
    and best period.
    """
    import keras

    task_describe = validate.describe
    history: dict[str, list] = {"loss": [], "step": []}
    state = {"best": None, "best_period": 0, "weights": None, "since": 0}
    start = time.monotonic()
    every = max(1, budget.periods // 4)

    class _Select(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            scores = validate()
            history["loss"].append(float((logs or {}).get("loss", float("nan"))))
            history["step"].append((epoch + 1) * budget.period)
            for split, s in scores.items():
                for k, v in task_describe(s).items():
                    history.setdefault(f"{split}_{k}", []).append(float(v))
            current = scores.get("val", scores["train"])
            if state["best"] is None or tuple(current) > tuple(state["best"]):
                progress = state["best"] is None or _clearly_better(current, state["best"])
                state.update(best=current, best_period=epoch + 1, weights=weights_model.get_weights())
                state["since"] = 0 if progress else state["since"] + 1
            else:
                state["since"] += 1
                if state["since"] >= budget.patience:
                    self.model.stop_training = True
            if log and ((epoch + 1) % every == 0 or self.model.stop_training or epoch + 1 == budget.periods):
                shown = "  ".join(f"{k} {v:.4f}" for k, v in task_describe(current).items())
                log(f"{phase}: epoch {epoch + 1}/{budget.periods} (step {(epoch + 1) * budget.period})  loss {history['loss'][-1]:.4f}  "
                    f"{'val' if 'val' in scores else 'train'} {shown}  ({time.monotonic() - start:.0f} s)"
                    + ("  early stop" if self.model.stop_training else ""))

    x, y = data
    model.fit(batches(x, y, batch_size, seed, mix_classes), epochs=budget.periods, steps_per_epoch=budget.period,
              shuffle=False, verbose=0, callbacks=[_Select()])
    weights_model.set_weights(state["weights"])
    info = {"steps": len(history["step"]) * budget.period, "best_epoch": state["best_period"],
            "best_step": state["best_period"] * budget.period, "budget_steps": budget.steps,
            "period_steps": budget.period, "best_val": task_describe(state["best"]), "score": state["best"]}
    return history, info


def _clearly_better(new: tuple, old: tuple) -> bool:
    # Patience restarts only on real progress: a better first metric, or a tie-breaker
    # (e.g. cross-entropy at 100 % accuracy) better by more than MIN_DELTA.
    if new[0] != old[0] or len(new) == 1:
        return new[0] > old[0]
    return new[1] - old[1] > MIN_DELTA


class Validator:
    """Scores a network on the validation split (and a fixed sample of the training split)."""

    def __init__(self, task: str, model, train: tuple, val: tuple | None, seed: int):
        self.task, self.model = task, model
        x, y = train
        if len(y) > TRAIN_SAMPLE:
            keep = np.sort(np.random.default_rng(seed).choice(len(y), TRAIN_SAMPLE, replace=False))
            x, y = x[keep], y[keep]
        self.splits = {"train": (x, y)} | ({"val": val} if val is not None and len(val[1]) else {})

    def describe(self, s: tuple) -> dict:
        return selection.describe(self.task, s)

    def __call__(self) -> dict:
        from .models import recalibrate_batch_norm

        # Batch-norm moving averages lag the weights (on a small UCR set the teacher scored 35 %
        # on validation with them): score the weights with the statistics of the training windows.
        recalibrate_batch_norm(self.model, self.splits["train"][0])
        out = {}
        for split, (x, y) in self.splits.items():
            # Eager calls: a traced predict function per candidate model costs more than it saves here.
            pred = np.concatenate([np.asarray(self.model(x[i:i + 1024], training=False))
                                   for i in range(0, len(y), 1024)])
            out[split] = selection.score(self.task, y, pred, x)
        return out


def frozen_outputs(teacher, xt) -> tuple:
    """(lookup model, teacher outputs): the teacher's outputs computed once, replayed by an identity model.

    A teacher in inference mode (no dropout, batch-norm statistics fixed) gives the same
    outputs at every step, so running it once changes nothing but the time. Pass the
    outputs where the teacher's inputs would go.
    """
    import keras

    from ..quiet import native_stderr_parked

    # Keras' numpy adapter builds a dataset op this TensorFlow logs a harmless error line about.
    with native_stderr_parked():
        z = np.asarray(teacher.predict(xt, batch_size=1024, verbose=0), dtype=np.float32)
    inp = keras.Input(z.shape[1:], name="teacher_outputs")
    return keras.Model(inp, keras.layers.Identity(name="features")(inp), name="frozen_teacher"), z


class Candidates:
    """Student candidates, each a (T, alpha, seed), trained with the recipe.

    Tracing a new training step per candidate cost more than the training itself on small
    sets, so every candidate reuses one compiled, tunable Distiller: its own initial weights
    (built under its seed), Adam's state and step count zeroed, its T and alpha set as
    variables. With a hint loss the regressor trains too, so each candidate gets its own
    Distiller. `build()` returns a fresh student; `teacher` is what the Distiller runs on its
    "teacher" inputs (the frozen_outputs() lookup model without a hint). With `mix_classes`,
    the distilled candidates (alpha > 0) train on mixup batches (`mixed`) and `teacher` is the
    network itself, run on every batch; the alpha = 0 candidates train on plain batches, on a
    second compiled Distiller without the teacher.
    """

    def __init__(self, build, teacher, task, learning_rate: float, budget: Budget, *, batch_size: int,
                 teacher_slice=None, hint_weight: float = 0.0, mix_classes: int | None = None, log=None):
        self.build, self.teacher, self.task, self.budget = build, teacher, task, budget
        self.learning_rate, self.batch_size, self.teacher_slice, self.log = learning_rate, batch_size, teacher_slice, log
        self.hint_weight, self.mix_classes = hint_weight, mix_classes
        self._tunable = {}  # runs the teacher? -> (student, compiled tunable Distiller)

    def _distiller_for(self, student, temperature: float, alpha: float):
        """(the network that trains, its Distiller), ready for a candidate with `student`'s initial weights."""
        from .distill import Distiller

        if self.hint_weight:
            distiller = Distiller(student, self.teacher, self.task, temperature=temperature, alpha=alpha,
                                  hint_weight=self.hint_weight if alpha > 0 else 0.0, teacher_slice=self.teacher_slice)
            distiller.compile(optimizer=optimizer(self.learning_rate, self.budget), **compile_options(self.budget))
            return student, distiller
        runs_teacher = not (self.mix_classes and alpha == 0)
        if runs_teacher not in self._tunable:
            trained = self.build()
            distiller = Distiller(trained, self.teacher if runs_teacher else None, self.task,
                                  teacher_slice=self.teacher_slice, tunable=True)
            distiller.compile(optimizer=optimizer(self.learning_rate, self.budget), **compile_options(self.budget))
            self._tunable[runs_teacher] = trained, distiller
        trained, distiller = self._tunable[runs_teacher]
        trained.set_weights(student.get_weights())
        for v in distiller.optimizer.variables:  # Adam's state and step count start at zero
            v.assign(np.zeros(v.shape, dtype=v.dtype))
        distiller.set_mixture(temperature, alpha)
        return trained, distiller

    def fit(self, inputs: dict, y, train: tuple, val: tuple | None, *, temperature: float, alpha: float, seed: int,
            phase: str = "") -> dict:
        """Train one candidate on ({"student", "teacher"} `inputs`, `y`); select on `val` (x, y), or on the
        labelled training windows `train` (x, y) without validation data. Returns the model (its
        best-validation weights), history, fit info, T, alpha, seed, score and best validation metrics."""
        import keras

        keras.utils.set_random_seed(seed)
        student = self.build()
        trained, distiller = self._distiller_for(student, temperature, alpha)
        validate = Validator(self.task, trained, train, val, seed)
        history, info = fit(distiller, (inputs, y), trained, validate, self.budget, seed=seed,
                            batch_size=self.batch_size, log=self.log, phase=phase,
                            mix_classes=self.mix_classes if alpha > 0 else None)
        student.set_weights(trained.get_weights())  # the best-validation weights, kept per candidate
        return {"model": student, "history": history, "info": info, "temperature": temperature, "alpha": alpha,
                "seed": seed, "score": list(info["score"]), "val": info["best_val"]}
