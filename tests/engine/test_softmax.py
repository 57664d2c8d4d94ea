"""SOFTMAX int8 byte for byte with BUILTIN_REF across its parameters: the generation-time exp
table for random betas and input scales (from all 256 differences within diff_min to a
saturated input multiplier), 1 to 35 classes, one row or several, and inputs at the extremes
(all equal, the largest difference 255), on the host and in QEMU."""

from pathlib import Path

import numpy as np
import pytest

from benchmarks.model_fuzz import edit
from tinydistill.engine import tables
from tinydistill.engine.codegen import generate
from tinydistill.engine.compiled import compile as engine_compile
from tinydistill.errors import UnsupportedModel

from .dsp_check import assert_bit_exact, program

DEPTHS = (1, 2, 4, 10, 12, 35)
# (beta, input scale) besides the random ones: the plain case, a product of 2^-20 (every difference
# within diff_min, exp of each close to 1), a saturated input multiplier (beta × scale ≥ 32).
FIXED = ((1.0, 1 / 16), (1.0, 2.0 ** -20), (40.0, 1.0))
RANDOM = 2  # random (beta, scale) pairs per depth, beside one of FIXED
WINDOWS = 40


@pytest.fixture(scope="module")
def bare_softmax() -> bytes:
    """A converted model that is one SOFTMAX on its int8 input: its options and tensors are edited below."""
    import keras

    from .builders import convert_int8

    model = keras.Sequential([keras.Input((4,), batch_size=1), keras.layers.Softmax()])
    return convert_int8(model, np.random.default_rng(0).normal(0.0, 2.0, (64, 4)).astype(np.float32))


def _variant(bare: bytes, rows: int, depth: int, beta: float, scale: float, zero_point: int) -> bytes:
    def change(m):
        graph = m.subgraphs[0]
        for t in graph.tensors:
            t.shape, t.shapeSignature = np.array([1, rows, depth], dtype=np.int32), None
        inp = graph.tensors[graph.inputs[0]].quantization
        inp.scale, inp.zeroPoint = np.array([scale], dtype=np.float32), np.array([zero_point], dtype=np.int64)
        graph.operators[0].builtinOptions.beta = beta
    return edit(bare, change)


def _models(bare: bytes) -> dict[str, bytes]:
    """Per depth one of FIXED and RANDOM random pairs (beta 0.1..10, scale 0.001..2), one row or three."""
    rng = np.random.default_rng(13)
    out = {}
    for i, depth in enumerate(DEPTHS):
        pairs = [FIXED[i % len(FIXED)], *((float(10 ** rng.uniform(-1, 1)), float(10 ** rng.uniform(-3, 0.3)))
                                          for _ in range(RANDOM))]
        for k, (beta, scale) in enumerate(pairs):
            rows = 1 if (i + k) % 2 == 0 else 3
            out[f"d{depth}_r{rows}_{k}"] = _variant(bare, rows, depth, beta, scale, int(rng.integers(-128, 128)))
    return out


def _windows(rows: int, depth: int, seed: int) -> np.ndarray:
    """All equal (-128, 127, 0), one class 255 above the rest and 255 below, then rows of uniform
    int8 and of narrow spreads (differences within a few steps, where the table's entries differ most)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (WINDOWS, rows, depth)).astype(np.int8)
    x[0], x[1], x[2] = -128, 127, 0
    x[3], x[4] = -128, 127
    x[3, :, rng.integers(0, depth)] = 127
    x[4, :, rng.integers(0, depth)] = -128
    for w in range(WINDOWS // 2, WINDOWS):
        for r in range(rows):
            spread = int(rng.integers(1, 24))
            centre = int(rng.integers(-128 + spread, 128 - spread))
            x[w, r] = rng.integers(centre - spread, centre + spread + 1, depth)
    return x


@pytest.fixture(scope="module")
def softmax_program(bare_softmax, tmp_path_factory) -> tuple[dict[str, bytes], Path]:
    models = _models(bare_softmax)
    return models, program(models, tmp_path_factory.mktemp("softmax") / "src", "sm")


@pytest.mark.parametrize("platform", ["host", pytest.param("cortex-m4", marks=pytest.mark.toolchain),
                                      pytest.param("cortex-m0plus", marks=pytest.mark.toolchain)])
def test_softmax_equals_builtin_ref(softmax_program, platform, tmp_path):
    models, src = softmax_program
    assert_bit_exact(models, src, tmp_path, platform, WINDOWS,
                     inputs=lambda k, shape: _windows(int(shape[1]), int(shape[2]), k))


def test_exp_table_is_trimmed_and_counted_in_flash(bare_softmax):
    """Differences below diff_min (or whose exp rounds to 0) are left out of the table; the budget's
    flash counts the table's bytes."""
    from tinydistill.deploy.analysis import analyze

    plain = tables.softmax_exp_table(1.0, 1 / 16)
    assert plain[0] == (1 << 31) - 1 and all(a >= b for a, b in zip(plain, plain[1:]))
    _, _, diff_min = tables.softmax_params(1.0, 1 / 16)
    assert len(plain) == -diff_min + 1  # exp(-31/16 · ...) is still above 0: cut by diff_min
    assert len(tables.softmax_exp_table(1.0, 2.0 ** -20)) == 256
    assert len(tables.softmax_exp_table(40.0, 1.0)) < 256
    tflite = _variant(bare_softmax, 1, 4, 1.0, 1 / 16, 0)
    call = engine_compile(tflite).calls[0]
    assert dict(call.fields)["table_size"] == len(plain)
    assert analyze(tflite).rows[0].quant_bytes == 4 * len(plain)


def test_softmax_input_shift_out_of_range_is_refused(bare_softmax, tmp_path):
    """A beta × input scale whose input rescaling shift is negative: the reference's Prepare refuses it too."""
    with pytest.raises(UnsupportedModel, match=r"SOFTMAX \(op 0.*shift of -\d+, outside \[0, 31\]"):
        generate(_variant(bare_softmax, 1, 4, 1.0, 1e-12, 0), tmp_path / "out")
