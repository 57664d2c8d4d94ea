"""benchmarks/distill_table.summary on given accuracies: the comparisons with the default
variant are paired by seed and say which way they go."""

from __future__ import annotations

from benchmarks.distill_table import Cell, summary


def _cell(name, size, student, baseline):
    return Cell(name, size, teacher=[0.97] * 5, student=student, baseline=baseline,
                params={"teacher": 100_000, "student": 1_710, "baseline": 1_710}, choices=[(4.0, 0.9)] * 5)


def test_the_plain_student_is_compared_with_the_default_one_seed_by_seed():
    cells = [_cell("osuleaf", "default", [0.96, 0.97, 0.98, 0.97, 0.96], [0.95, 0.96, 0.96, 0.95, 0.96]),
             _cell("osuleaf", "plain", [0.70, 0.72, 0.71, 0.73, 0.69], [0.70, 0.71, 0.70, 0.72, 0.69])]
    text = summary(cells)
    assert "osuleaf (no batch norm)" in text  # its own row in the table
    line = next(x for x in text.splitlines() if x.startswith("Without batch norm"))
    assert "osuleaf −25.8" in line.replace("-", "−") and "worse" in line
    assert "within 5 points of its teacher on osuleaf" in text  # the default row decides the small-set line


def test_the_earlier_student_budget_is_compared_with_the_default_one():
    cells = [_cell("mnist1d", "default", [0.973, 0.975, 0.978, 0.972, 0.976], [0.957, 0.967, 0.967, 0.96, 0.962]),
             _cell("mnist1d", "short", [0.957, 0.955, 0.969, 0.956, 0.958], [0.957, 0.961, 0.969, 0.96, 0.962])]
    text = summary(cells)
    assert "mnist1d (students' budget before: at most 12,000 steps)" in text
    line = next(x for x in text.splitlines() if x.startswith("With the students' budget before"))
    assert "mnist1d −1.6" in line.replace("-", "−") and "worse" in line
