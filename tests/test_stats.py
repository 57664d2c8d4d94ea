"""benchmarks/stats.py against hand-computed values."""

import math

import pytest

from benchmarks import stats


def test_paired_t_interval_and_p_value_by_hand():
    a, b = [0.90, 0.85, 0.88, 0.92, 0.87], [0.80, 0.83, 0.84, 0.86, 0.85]
    r = stats.paired(a, b)
    d = [0.10, 0.02, 0.04, 0.06, 0.02]
    mean = sum(d) / 5
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / 4)
    half = 2.7764451 * sd / math.sqrt(5)  # t(0.975, 4)
    assert r.n == 5 and r.mean == pytest.approx(mean)
    assert (r.low, r.high) == (pytest.approx(mean - half), pytest.approx(mean + half))
    t = mean / (sd / math.sqrt(5))
    assert t == pytest.approx(3.2071, abs=1e-4) and r.p == pytest.approx(0.0327, abs=1e-4)


def test_holm_step_down_by_hand():
    # sorted 0.01, 0.02, 0.04 -> 3*0.01, 2*0.02, 1*0.04 (monotone)
    assert stats.holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert stats.holm([0.5, 0.001]) == pytest.approx([0.5, 0.002])


def test_verdicts_room_and_gap():
    better = stats.paired([1, 2, 3, 4], [0, 1, 2, 2.5])
    assert stats.verdict(better, 0.01) == "better"
    assert stats.verdict(better, 0.01, higher_is_better=False) == "worse"
    assert stats.verdict(better, 0.2) == "no significant difference"
    assert stats.has_room(better) and not stats.has_room(stats.paired([1, 0, 1], [0, 1, 1]))
    assert stats.gap_closed(0.9, 0.85, 0.8) == pytest.approx(0.5) and stats.gap_closed(0.8, 0.9, 0.8) is None
    with pytest.raises(ValueError):
        stats.paired([1], [0])
