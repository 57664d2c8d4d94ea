"""Shared bits of the seed-paper benchmarks (Hinton; Hayashi): options, seeding, error counts,
table cells and the runtime line. Models train with tinydistill/training/recipe.py, as
`tinydistill train` trains its own; paired statistics are in stats.py.
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
    jobs: int = 1


def parse_args(module: str, description: str, argv: list[str] | None = None, default_seeds: int = 5,
               jobs: bool = False) -> Options:
    """--seeds N, --quick (one-seed smoke run with very few epochs), --results PATH, and with `jobs`
    --jobs N (seeds trained in parallel processes)."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("--seeds", type=int, default=None, help=f"number of seeds (default {default_seeds}; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="smoke run: few epochs, one seed, small sweep")
    parser.add_argument("--results", type=Path, default=RESULTS, help="Markdown file whose sections are rewritten")
    if jobs:
        parser.add_argument("--jobs", type=int, default=2, help="seeds trained at a time, one process each (default 2)")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    seeds = args.seeds if args.seeds is not None else (1 if args.quick else default_seeds)
    if seeds < 1:
        parser.error("--seeds must be at least 1")
    if getattr(args, "jobs", 1) < 1:
        parser.error("--jobs must be at least 1")
    command = " ".join(["python", "-m", module, *(shlex.quote(a) for a in argv)])
    return Options(seeds, args.quick, args.results, command, getattr(args, "jobs", 1))


def keras_setup(seed: int) -> None:
    """Seed Python, numpy and TF; deterministic kernels so a seed reproduces its numbers."""
    import keras
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # retracing notices: every student is a new model, by design
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)


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
        self.cpu_start = self._cpu_seconds()

    @staticmethod
    def _cpu_seconds() -> float:
        # This process and its finished children (the worker processes of --jobs).
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    @staticmethod
    def _format(seconds: float) -> str:
        return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"

    def minutes(self) -> str:
        return self._format(time.monotonic() - self.start)

    def cpu(self) -> str:
        """CPU time of this process (all threads) and its finished children: what the run costs when the
        cores are shared."""
        return self._format(self._cpu_seconds() - self.cpu_start)


def runtime_line(clock: Clock, seeds: int) -> str:
    cores = os.cpu_count()
    return (f"Runtime: {clock.minutes()} wall clock, {clock.cpu()} CPU time, for {seeds} seed(s) on {cores} "
            "CPU cores shared with other jobs (CPU-only TensorFlow).")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
