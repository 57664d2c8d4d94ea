"""The streaming engine: every window of a stream (resets between recordings, uneven lengths) gives
BUILTIN_REF's bytes on that whole window; models that cannot stream are refused with the op and the fix."""

import numpy as np
import pytest
from conftest import need_tools

from tinydistill import emu
from tinydistill.engine import compile
from tinydistill.engine.stream_check import check_stream, run_stream
from tinydistill.engine.streamability import NotStreamable, plan_stream

from .builders import keras_int8


def _layers(name: str) -> tuple[tuple[int, int], list, tuple[int, ...]]:
    """(window shape, Keras layers, hops) of each random streamable model."""
    from keras import layers as L

    specs = {
        # strided conv, dilated depthwise, pointwise, max pool, global average (MEAN), two heads
        "stride_dilation_pool": ((32, 3), [L.Conv1D(8, 5, strides=2, activation="relu"),
                                           L.DepthwiseConv1D(3, dilation_rate=2, activation="relu"),
                                           L.Conv1D(12, 1, activation="relu"), L.MaxPooling1D(2),
                                           L.GlobalAveragePooling1D(), L.Dense(4), L.Softmax()], (4, 16)),
        # dilated conv, separable conv, average pool with stride 1, global max (REDUCE_MAX)
        "separable_avgpool_globalmax": ((40, 2), [L.Conv1D(6, 3, dilation_rate=3, activation="relu"),
                                                  L.SeparableConv1D(10, 4, activation="relu"),
                                                  L.AveragePooling1D(3, strides=1),
                                                  L.GlobalMaxPooling1D(), L.Dense(3)], (1, 20)),
        # strides 3 then 2 (hops multiples of 6), unused trailing rows, a dense hidden layer in the head
        "strides_3_2_dense_head": ((49, 4), [L.Conv1D(8, 7, strides=3), L.Conv1D(8, 3, strides=2, activation="relu"),
                                             L.GlobalAveragePooling1D(), L.Dense(6, activation="relu"),
                                             L.Dense(2)], (6, 24)),
        # a window that is no multiple of the hop: the first window's hops start before it
        "odd_window": ((25, 1), [L.Conv1D(4, 2, activation="relu"), L.GlobalAveragePooling1D(), L.Dense(2),
                                 L.Softmax()], (7, 25)),
    }
    return specs[name]


NAMES = ["stride_dilation_pool", "separable_avgpool_globalmax", "strides_3_2_dense_head", "odd_window"]


@pytest.fixture(scope="module")
def streamable() -> dict[str, tuple[bytes, tuple[int, ...]]]:
    out = {}
    for seed, name in enumerate(NAMES):
        shape, layers, hops = _layers(name)
        out[name] = (keras_int8(shape, layers, seed=seed), hops)
    return out


def _recordings(window: int, hop: int, channels: int, seed: int) -> list[np.ndarray]:
    """Uneven lengths: too short for one window, exactly one, a hop short of two, and long ones."""
    rng = np.random.default_rng(seed)
    lengths = (window - 1, window, window + hop - 1, 3 * window + 5, 5 * window + hop + 2)
    return [rng.integers(-128, 128, (n, channels), dtype=np.int8) for n in lengths]


@pytest.mark.parametrize("name", NAMES)
def test_stream_bit_exact_on_every_window(streamable, name, tmp_path):
    need_tools("gcc")
    raw, hops = streamable[name]
    compiled = compile(raw)
    window, channels = compiled.model.input.shape[-2:]
    for hop in hops:
        recordings = _recordings(window, hop, channels, seed=hop)
        report = check_stream(raw, hop, recordings, build_dir=tmp_path / f"h{hop}")
        n_windows = sum(max(0, (len(r) - window) // hop + 1) for r in recordings)
        assert report.n_total == n_windows > 0
        assert report.ok, f"{name}, hop {hop}: {report.summary()}"


def test_stream_costs_less_per_hop(streamable):
    raw, _ = streamable["stride_dilation_pool"]
    compiled = compile(raw)
    full = sum(c.macs for c in compiled.calls)
    costs = [plan_stream(compiled, hop).macs_per_hop() for hop in (4, 8, 16)]
    assert costs == sorted(costs) and costs[0] < full / 3
    assert plan_stream(compiled, 8).state_bytes > 0


@pytest.mark.toolchain
def test_stream_bit_exact_in_qemu_and_fewer_instructions(streamable, tmp_path):
    plat = emu.get("cortex-m4")
    need_tools(plat.cc, "qemu-system-arm")
    raw, _ = streamable["stride_dilation_pool"]
    recordings = _recordings(32, 4, 3, seed=5)[2:4]
    report = check_stream(raw, 4, recordings, platform="cortex-m4", build_dir=tmp_path / "check")
    assert report.ok, report.summary()
    two = [np.random.default_rng(6).integers(-128, 128, (32 + 4, 3), dtype=np.int8)]  # two windows: start, one hop
    streamed = run_stream(raw, 4, two, platform="cortex-m4", count=True, build_dir=tmp_path / "s")
    full = run_stream(raw, 4, two, platform="cortex-m4", count=True, full=True, build_dir=tmp_path / "f")
    assert np.array_equal(streamed.outputs, full.outputs)
    assert len(streamed.instructions) == len(full.instructions) == 2
    assert streamed.instructions[1] < full.instructions[1] / 2


@pytest.mark.toolchain
def test_stream_takes_the_gemm_path_on_m4_from_64_output_pixels(tmp_path):
    """A 72-sample window: its convs have 70 output pixels, enough for CONV_2D's GEMM path
    (lowering/conv.py _GEMM_PIXELS_MIN), so the M4 streams through it, in the DSP scratch its state
    carries, and still gives BUILTIN_REF's bytes on every window."""
    from keras import layers as L

    plat = emu.get("cortex-m4")
    need_tools(plat.cc, "qemu-system-arm")
    raw = keras_int8((72, 3), [L.Conv1D(8, 3, activation="relu"), L.Conv1D(12, 1, activation="relu"),
                               L.GlobalAveragePooling1D(), L.Dense(4)], seed=9)
    plan = plan_stream(compile(raw), 8)
    assert plan.dsp_scratch_bytes > 0 and sum(1 for s in plan.steps if s.dsp_scratch) == 2
    report = check_stream(raw, 8, _recordings(72, 8, 3, seed=9)[1:4], platform="cortex-m4",
                          build_dir=tmp_path / "check")
    assert report.ok, report.summary()


def _refusal(shape, layers, hop) -> str:
    raw = keras_int8(shape, layers)
    with pytest.raises(NotStreamable) as info:
        plan_stream(compile(raw), hop)
    return str(info.value)


def test_refusals_name_the_layer_and_the_fix():
    from keras import layers as L

    same = _refusal((16, 2), [L.Conv1D(4, 3, padding="same", name="edge"), L.GlobalAveragePooling1D(),
                              L.Dense(2)], 4)
    assert "layer 'edge" in same and "padding='valid'" in same
    causal = _refusal((16, 2), [L.Conv1D(4, 3, padding="causal", name="causal_conv"), L.GlobalAveragePooling1D(),
                                L.Dense(2)], 4)
    assert "PAD" in causal and "layer 'causal_conv" in causal and "padding='valid'" in causal
    flat = _refusal((16, 2), [L.Conv1D(4, 3), L.Flatten(name="flat"), L.Dense(2)], 4)
    assert "layer 'flat" in flat and "whole window" in flat and "GlobalAveragePooling1D" in flat
    stride = _refusal((16, 2), [L.Conv1D(4, 3, strides=2, name="strided"), L.GlobalAveragePooling1D(),
                                L.Dense(2)], 3)
    assert "layer 'strided" in stride and "multiple of 2" in stride
    raw = keras_int8((16, 2), [L.Conv1D(4, 3), L.GlobalAveragePooling1D(), L.Dense(2)])
    with pytest.raises(NotStreamable, match="hop 17"):
        plan_stream(compile(raw), 17)
