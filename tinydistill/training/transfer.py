"""The transfer set (Hinton et al. 2015): extra windows on which the student matches its teacher.

`augment`: augmented copies of the training windows (jitter, scaling, time warp, mixup), made
once, carry no label; the student learns there to match the teacher's soft targets. They are
marked with label -1, which `soft_target_loss` leaves out of the hard term.
`mixup`: function matching (Beyer et al. 2022), an endless transfer set: every batch of a
distilled candidate is mixed anew (`recipe.mixed`), the teacher runs on the same mixed windows
as the student, and the hard term takes the mixed labels. Baselines train on plain batches.
"""

from __future__ import annotations

import numpy as np

from ..errors import TinyDistillError
from ..tasks import get_task

KINDS = ("none", "augment", "mixup")
UNLABELED = -1


def check(kind: str, task) -> None:
    """Refuse an unknown transfer-set kind, or one the task's loss cannot use (no soft targets)."""
    if kind not in KINDS:
        raise TinyDistillError(f"--transfer must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind != "none" and not get_task(task).outputs_classes:
        raise TinyDistillError(f"--transfer {kind} needs soft targets: use it with --task classify")


def _time_warp(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # A smooth monotone warp: random speeds at 4 knots, integrated, resampled by interpolation.
    n = x.shape[0]
    speed = np.interp(np.linspace(0, 1, n), np.linspace(0, 1, 4), rng.uniform(0.8, 1.2, 4))
    pos = np.concatenate([[0.0], np.cumsum(speed)[:-1]])
    pos *= (n - 1) / pos[-1] if pos[-1] > 0 else 1.0
    grid = np.arange(n)
    return np.stack([np.interp(pos, grid, x[:, c]) for c in range(x.shape[1])], axis=1)


def augment(xt: np.ndarray, n: int, seed: int) -> np.ndarray:
    """`n` augmented windows drawn from (normalized) teacher windows `xt` [N, time, channels].

    Each window gets one of jitter (Gaussian noise, 0.1 std), per-channel scaling
    (x N(1, 0.15)), time warp, or mixup with another window (lambda ~ U(0.2, 0.8)).
    """
    rng = np.random.default_rng(seed)
    src = rng.integers(0, len(xt), n)
    out = np.empty((n, *xt.shape[1:]), dtype=np.float32)
    kinds = rng.integers(0, 4, n)
    for i, (j, kind) in enumerate(zip(src, kinds)):
        x = xt[j].astype(np.float64)
        if kind == 0:
            x = x + rng.normal(0, 0.1, x.shape)
        elif kind == 1:
            x = x * rng.normal(1.0, 0.15, (1, x.shape[1]))
        elif kind == 2:
            x = _time_warp(x, rng)
        else:
            lam = rng.uniform(0.2, 0.8)
            x = lam * x + (1 - lam) * xt[rng.integers(0, len(xt))]
        out[i] = x
    return out
