"""Shared bits of the seed-paper benchmarks (Hinton; Hayashi; privileged sensors).

Training goes through the project's `Distiller` (alpha = 0 is the plain student, the
same code path). Keras pays a fixed cost per epoch and per `fit()` call that dwarfs
these small models on 2 shared cores, so `fit()` lays all epochs out as one
pre-shuffled pass and runs many steps per graph call.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Level 3: TF 2.21 logs harmless C++ errors about tf.data attributes on every fit().
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks.results import RESULTS  # noqa: E402


@dataclass
class Options:
    """What every seed-table script accepts."""

    seeds: int
    quick: bool
    results: Path
    command: str


def parse_args(module: str, description: str, argv: list[str] | None = None, default_seeds: int = 5) -> Options:
    """--seeds N, --quick (one-seed smoke run with very few epochs), --results PATH."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("--seeds", type=int, default=None, help=f"number of seeds (default {default_seeds}; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="smoke run: few epochs, one seed, small sweep")
    parser.add_argument("--results", type=Path, default=RESULTS, help="Markdown file whose sections are rewritten")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    seeds = args.seeds if args.seeds is not None else (1 if args.quick else default_seeds)
    if seeds < 1:
        parser.error("--seeds must be at least 1")
    command = " ".join(["python", "-m", module, *(shlex.quote(a) for a in argv)])
    return Options(seeds, args.quick, args.results, command)


def keras_setup(seed: int) -> None:
    """Seed Python, numpy and TF; deterministic kernels so a seed reproduces its numbers."""
    import keras
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # retracing notices: every student is a new model, by design
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)


def _epoch_order(n: int, epochs: int, batch_size: int, rng: np.random.Generator) -> np.ndarray:
    # One permutation per epoch, each trimmed to whole batches so no batch straddles epochs.
    per = (n // batch_size) * batch_size if n >= batch_size else n
    return np.concatenate([rng.permutation(n)[:per] for _ in range(epochs)])


def fit(model, x, y, *, epochs: int, batch_size: int, seed: int) -> None:
    """Train a compiled Keras model for `epochs` shuffled epochs in a single `fit()` call.

    `x` is an array or a dict of arrays (the Distiller's {"student", "teacher"} input).
    """
    n = len(y)
    batch_size = min(batch_size, n)
    order = _epoch_order(n, epochs, batch_size, np.random.default_rng(seed))
    take = (lambda a: a[order])
    xs = {k: take(v) for k, v in x.items()} if isinstance(x, dict) else take(x)
    model.fit(xs, take(y), batch_size=batch_size, epochs=1, shuffle=False, verbose=0)


def frozen_outputs(teacher, xt) -> tuple:
    """(lookup model, teacher outputs): see tinydistill.training.recipe.frozen_outputs."""
    from tinydistill.training.recipe import frozen_outputs as frozen

    return frozen(teacher, xt)


def train_student(student, teacher, xs, xt, y, *, task: str = "classify", temperature: float = 4.0,
                  alpha: float = 0.0, epochs: int, batch_size: int, learning_rate: float, seed: int):
    """Train `student` with the project's Distiller (alpha = 0: labels only; the teacher is ignored)."""
    import keras

    from tinydistill.training.distill import Distiller

    distiller = Distiller(student, teacher if alpha > 0 else None, task, temperature=temperature, alpha=alpha)
    distiller.compile(optimizer=keras.optimizers.Adam(learning_rate), steps_per_execution=32, jit_compile=False)
    fit(distiller, {"student": xs, "teacher": xt}, y, epochs=epochs, batch_size=batch_size, seed=seed)
    return student


def train_plain(model, x, y, *, epochs: int, batch_size: int, learning_rate: float, seed: int, loss=None):
    """Train a teacher on hard labels (sparse cross-entropy on logits unless `loss` is given)."""
    import keras

    from tinydistill.training import models

    loss = loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, steps_per_execution=32,
                  jit_compile=False)
    fit(model, x, y, epochs=epochs, batch_size=batch_size, seed=seed)
    models.recalibrate_batch_norm(model, x)  # as `tinydistill train` does for its teachers
    return model


def logits(model, x) -> np.ndarray:
    """The model's outputs on `x`, as float64."""
    return np.asarray(model.predict(x, batch_size=1024, verbose=0), dtype=np.float64)


def errors(y: np.ndarray, z: np.ndarray) -> int:
    """Misclassified examples (arg-max of logits or probabilities)."""
    return int(np.sum(np.argmax(z, axis=-1) != y))


def pm(values, digits: int = 1) -> str:
    """'mean ± std' (sample std, ddof=1; std omitted for a single value)."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def mean(values) -> float:
    return float(np.mean(np.asarray(values, dtype=np.float64)))


class Clock:
    """Wall-clock time since construction, for the 'runtime' line of each section."""

    def __init__(self):
        self.start = time.monotonic()
        self.cpu_start = time.process_time()

    @staticmethod
    def _format(seconds: float) -> str:
        return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"

    def minutes(self) -> str:
        return self._format(time.monotonic() - self.start)

    def cpu(self) -> str:
        """CPU time of this process (all threads): what the run costs when the cores are shared."""
        return self._format(time.process_time() - self.cpu_start)


def runtime_line(clock: Clock, seeds: int) -> str:
    cores = os.cpu_count()
    return (f"Runtime: {clock.minutes()} wall clock, {clock.cpu()} CPU time, for {seeds} seed(s) on {cores} "
            "CPU cores shared with other jobs (CPU-only TensorFlow).")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# Two-sided 95 % quantiles of Student's t by degrees of freedom (a paired t-test needs no scipy).
_T975 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23}


def judge(differences, lower_is_better: bool) -> str:
    """Verdict on paired per-seed differences (new minus old): 'clearly better', 'clearly worse',
    'no clear difference' (paired t-test at 95 %), or 'too few seeds to tell' below 3 seeds."""
    d = np.asarray(differences, dtype=np.float64)
    n = len(d)
    if n < 3:
        return "too few seeds to tell"
    sd = d.std(ddof=1)
    significant = d.mean() != 0 if sd == 0 else abs(d.mean()) / (sd / np.sqrt(n)) > _T975.get(n - 1, 2.0)
    if not significant:
        return "no clear difference"
    return "clearly better" if (d.mean() < 0) == lower_is_better else "clearly worse"
