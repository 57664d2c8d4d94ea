"""FULLY_CONNECTED's Armv7E-M paths in QEMU: the paired-row kernel (one sign extension per
two products, sums modulo 2^32), the high-word requantization with the output offset folded
into its rounding constant, and the four-row and generic fallbacks give BUILTIN_REF's bytes on
the DSP cores, across row and input counts by four or not, sixteen or not, several input rows
and fused activations; eight inputs take whole rows (bias and int16 weight pairs) instead."""

import pytest

from tinydistill.engine.compiled import compile

from .dsp_check import assert_bit_exact, convert, program

pytestmark = pytest.mark.toolchain

WINDOWS = 6


def _models() -> dict[str, bytes]:
    from keras import layers as L

    specs = {
        # name: (input shape, layers); in_c and out_c by four take the paired path
        "by16": ((64,), [L.Dense(16, activation="relu")]),  # sixteen inputs a turn
        "by4": ((12,), [L.Dense(8)]),  # the four-input steps only
        "rows3": ((3, 40), [L.Dense(12, activation="relu6")]),  # three input rows
        "deep": ((128,), [L.Dense(8, activation="relu"), L.Dense(128)]),  # AD's 128 -> 8 -> 128
        "odd_out": ((24,), [L.Dense(6)]),  # out_c not by four: four-row/two-row paths
        "odd_in": ((10,), [L.Dense(8)]),  # in_c not by four: the plain loops
        "wide": ((2048,), [L.Dense(4)]),  # the next pair beyond LDR's immediates
        "eight_odd": ((8,), [L.Dense(5, activation="relu")]),  # eight inputs: whole rows, any out_c
        "eight_rows3": ((3, 8), [L.Dense(6)]),  # eight inputs, three input rows
    }
    return convert(specs)


@pytest.fixture(scope="module")
def fc_program(tmp_path_factory):
    models = _models()
    src = program(models, tmp_path_factory.mktemp("fc") / "src", "fc")
    return models, src


def test_the_paired_weights_are_generated_where_the_kernel_takes_them(fc_program):
    models, _ = fc_program
    paired = {name: any(dict(c.fields).get("weights_pairs") for c in compile(t).calls) for name, t in models.items()}
    assert paired == {"by16": True, "by4": True, "rows3": True, "deep": True, "odd_out": False, "odd_in": False,
                      "wide": False, "eight_odd": False, "eight_rows3": False}
    rows8 = {name for name, t in models.items() if any(dict(c.fields).get("rows8") for c in compile(t).calls)}
    assert rows8 == {"deep", "eight_odd", "eight_rows3"}


@pytest.mark.parametrize("platform", ["cortex-m4", "cortex-m7", "cortex-m33"])
def test_fully_connected_dsp_paths_are_bit_exact(fc_program, tmp_path, platform):
    models, src = fc_program
    assert_bit_exact(models, src, tmp_path, platform, WINDOWS, extremes=True)
