"""CONV_2D's Armv7E-M GEMM path in QEMU: windows of three output pixels extended to int16 pairs
in the arena, weights extended and doubled at generation time, two channels by three pixels per
asm loop ended by a mark, and the folded requantization (with and without the negative
correction) give BUILTIN_REF's bytes on the DSP cores, across pointwise and gathered windows
(padding, strides, dilation, one input channel), window sizes by four or not (tails of 1 to 3
values), loop turns of 2 to 16 slots, odd channel counts and pixel counts not by three; convs with
fewer than 64 output pixels keep the plain path."""

import pytest

from tinydistill.engine.compiled import compile

from .dsp_check import assert_bit_exact, convert, program

pytestmark = pytest.mark.toolchain

WINDOWS = 4


def _models() -> dict[str, bytes]:
    from keras import layers as L

    specs = {
        # name: (input shape, layers); every conv has at least 64 output pixels (below that, the plain path)
        "pw64": ((8, 8, 64), L.Conv2D(64, 1, activation="relu")),  # KWS's pointwise: two turns, 64 pixels (one left)
        "pw32_odd_out": ((5, 13, 32), L.Conv2D(7, 1)),  # 65 pixels (two left), a lone channel
        "pw12_relu6": ((8, 8, 12), L.Conv2D(10, 1, activation="relu6")),  # 64 pixels (one left)
        "pw_in5": ((8, 9, 5), L.Conv2D(3, 1, activation="relu")),  # a one-value tail
        "pw_in6": ((6, 11, 6), L.Conv2D(4, 1)),  # a two-value tail
        "pw_in7": ((9, 8, 7), L.Conv2D(5, 1, activation="relu")),  # a three-value tail
        "pw_in1": ((8, 8, 1), L.Conv2D(6, 1)),  # one input channel
        "kws_first": ((25, 10, 1), L.Conv2D(8, (5, 3), strides=2, padding="same", activation="relu")),  # 13 x 5
        "k3x3_valid": ((12, 9, 3), L.Conv2D(5, 3)),  # 27 values: a three-value tail, 7 pixels a row
        "conv1d_dil": ((64, 6), L.Conv1D(9, 3, dilation_rate=2, padding="same", activation="relu")),
        "conv1d_s2": ((129, 8), L.Conv1D(16, 5, strides=2, padding="same")),  # 40 values: two turns of 10 slots
    }
    return convert(specs)


@pytest.fixture(scope="module")
def conv_program(tmp_path_factory):
    models = _models()
    src = program(models, tmp_path_factory.mktemp("conv") / "src", "cv")
    return models, src


def test_the_gemm_path_is_generated_with_each_loop_turn(conv_program):
    """Every model takes the GEMM path, with the most slots per loop turn (up to 16) that divide
    its slots: two per four window values."""
    models, _ = conv_program
    turns = {}
    for name, tflite in models.items():
        (call,) = [c for c in compile(tflite).calls if c.opcode == "CONV_2D"]
        fields = dict(call.fields)
        assert fields.get("weights_gemm") == "weights_gemm" and call.scratch > 0, name
        turns[name] = fields["gemm_unroll"]
    assert turns == {"pw64": 16, "pw32_odd_out": 16, "pw12_relu6": 6, "pw_in5": 4, "pw_in6": 4, "pw_in7": 4,
                     "pw_in1": 2, "kws_first": 8, "k3x3_valid": 14, "conv1d_dil": 10, "conv1d_s2": 10}, turns


def test_convs_below_64_output_pixels_keep_the_plain_path():
    """The GEMM path (its code about 1.5 KB a call site, its weights again as int16 pairs, its arena
    slots) is taken from 64 output pixels on: 63 pixels keep the plain path, with no scratch and no
    DSP-only arrays."""
    from keras import layers as L

    models = convert({"px63": ((7, 9, 16), L.Conv2D(8, 1)), "px64": ((8, 8, 16), L.Conv2D(8, 1))})
    calls = {name: next(c for c in compile(m).calls if c.opcode == "CONV_2D") for name, m in models.items()}
    assert dict(calls["px63"].fields).get("weights_gemm") is None and calls["px63"].scratch == 0
    assert {a.name for a in calls["px63"].arrays}.isdisjoint({"weights_gemm", "bias_gemm"})
    assert dict(calls["px64"].fields)["weights_gemm"] == "weights_gemm" and calls["px64"].scratch > 0


def test_the_folded_requantization_is_exercised_with_and_without_relu(conv_program):
    """fast_requant 2 occurs both with a lower clamp at the output zero point (ReLU: the negative
    correction left out) and without one."""
    models, _ = conv_program
    seen = set()
    for tflite in models.values():
        (call,) = [c for c in compile(tflite).calls if c.opcode == "CONV_2D"]
        fields = dict(call.fields)
        if fields["fast_requant"] == 2:
            seen.add(fields["act_min"] >= fields["out_offset"])
    assert seen == {True, False}


@pytest.mark.parametrize("platform", ["cortex-m4", "cortex-m7", "cortex-m33"])
def test_conv_gemm_path_is_bit_exact(conv_program, tmp_path, platform):
    models, src = conv_program
    assert_bit_exact(models, src, tmp_path, platform, WINDOWS, extremes=True)
