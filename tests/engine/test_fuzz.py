"""A bounded model-fuzzing campaign: seeded mutants of the anchor and the test students are refused
by codegen and budget alike (exit 2), or generate C that runs clean under ASan + UBSan in the
checking layout and equals BUILTIN_REF wherever the interpreter takes the mutant. No mutant ends
in a traceback. benchmarks/fuzz_models.py runs the long campaign (RESULTS.md)."""

import pytest
from conftest import need_tools

from benchmarks.model_fuzz import Summary, campaign

N_ANCHOR = 120
N_STUDENTS = 100


def _assert_clean(summary: Summary, n: int) -> None:
    assert len(summary.outcomes) == n
    for o in summary.outcomes:
        what = f"{o.mutant.name} ({o.mutant.kind} of {o.mutant.seed_name})"
        assert o.traceback is None, f"{what}: {o.traceback}"
        assert o.agree, f"{what}: codegen exit {o.codegen_exit}, budget exit {o.budget_exit}"
        assert o.sanitizer is None, f"{what}: {o.sanitizer}"
        assert o.oracle != "differs", f"{what} differs from BUILTIN_REF"
        assert not o.detail.startswith("a refused"), f"{what}: {o.detail}"
    # A campaign that refuses everything or accepts everything proves little.
    assert summary.count(lambda o: o.codegen_exit == 2) >= n // 5
    assert summary.count(lambda o: o.oracle == "match") >= n // 10


def test_anchor_mutants_refused_or_clean(anchor_model, tmp_path):
    need_tools("gcc")
    summary = campaign({"anchor": anchor_model.read_bytes()}, N_ANCHOR, seed=1, work=tmp_path)
    _assert_clean(summary, N_ANCHOR)


@pytest.mark.slow
def test_student_mutants_refused_or_clean(keras_models, tmp_path):
    need_tools("gcc")
    summary = campaign(keras_models, N_STUDENTS, seed=2, work=tmp_path)
    _assert_clean(summary, N_STUDENTS)
