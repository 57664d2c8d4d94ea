"""Paired comparisons over repeated runs: mean difference with its 95 % CI, a p-value, Holm's correction.

Every benchmark that compares two models trained on the same splits and seeds pairs them
run by run (the differences cancel what the split and the seed share), reports the mean
difference with a Student-t 95 % confidence interval, and tests it with a two-sided paired
t-test. A table that makes several comparisons corrects the p-values for their number with
Holm's step-down method (Holm 1979), which controls the family-wise error rate without
assuming independence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

ALPHA = 0.05


@dataclass(frozen=True)
class Paired:
    """Mean of the paired differences a - b over `n` runs, its 95 % CI and the two-sided p-value."""

    n: int
    mean: float
    low: float
    high: float
    p: float

    def interval(self, scale: float = 1.0, digits: int = 1) -> str:
        """'+1.2 [-0.3, +2.7]' with the values multiplied by `scale` (e.g. 100 for points)."""
        return (f"{self.mean * scale:+.{digits}f} [{self.low * scale:+.{digits}f}, "
                f"{self.high * scale:+.{digits}f}]")


def paired(a, b) -> Paired:
    """Paired comparison of per-run scores `a` and `b` (same length, same runs)."""
    d = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    if d.ndim != 1 or len(d) < 2:
        raise ValueError("a paired comparison needs at least two runs")
    n, mean = len(d), float(d.mean())
    sd = float(d.std(ddof=1))
    if sd == 0.0:  # identical differences: the interval is a point, p is 1 for 0 and 0 otherwise
        return Paired(n, mean, mean, mean, 1.0 if mean == 0 else 0.0)
    half = float(_st.t.ppf(1 - ALPHA / 2, n - 1)) * sd / np.sqrt(n)
    p = float(2 * _st.t.sf(abs(mean) / (sd / np.sqrt(n)), n - 1))
    return Paired(n, mean, float(mean - half), float(mean + half), p)


def holm(pvalues) -> list[float]:
    """Holm-adjusted p-values, in the order given (each compared with ALPHA as usual)."""
    p = np.asarray(pvalues, np.float64)
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return [float(v) for v in adjusted]


def verdict(comparison: Paired, adjusted_p: float, higher_is_better: bool = True) -> str:
    """'better', 'worse' or 'no significant difference' for a - b at the corrected level."""
    if adjusted_p >= ALPHA:
        return "no significant difference"
    return "better" if (comparison.mean > 0) == higher_is_better else "worse"


def has_room(teacher_minus_baseline: Paired, higher_is_better: bool = True) -> bool:
    """True when the teacher is better than the baseline student beyond noise (its CI excludes 0)."""
    return teacher_minus_baseline.low > 0 if higher_is_better else teacher_minus_baseline.high < 0


def gap_closed(teacher: float, student: float, baseline: float) -> float | None:
    """Share of the baseline-to-teacher gap that the distilled student closes (None without a gap)."""
    gap = teacher - baseline
    return None if gap == 0 else (student - baseline) / gap
