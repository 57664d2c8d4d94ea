"""Small Keras students converted to full int8 (batch 1): generated C is bit-exact with BUILTIN_REF."""

import numpy as np
import pytest
from conftest import need_tools

from tinydistill.engine.check import check_model
from tinydistill.engine.reader import read

from .builders import KERAS_MODEL_NAMES as MODEL_NAMES

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_keras_model_bit_exact(keras_models, name, tmp_path):
    need_tools("gcc")
    report = check_model(keras_models[name], n_windows=150, seed=7, build_dir=tmp_path)
    assert report.ok, f"{name}: {report.summary()}"


def test_ops_seen(keras_models):
    ops = {op.opcode for b in keras_models.values() for op in read(b).operators}
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MEAN", "AVERAGE_POOL_2D", "MAX_POOL_2D", "SOFTMAX",
            "LOGISTIC", "TANH", "RESHAPE"} <= ops


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_activation_tables_all_256_inputs(activation, tmp_path):
    """Every int8 input of LOGISTIC/TANH, fed straight to the op, matches the interpreter."""
    need_tools("gcc")
    from keras import layers as L

    from .builders import convert_int8, representative, sequential

    for seed, spread in ((0, 1.0), (1, 6.0)):
        model = sequential((256,), [L.Activation(activation)], seed=seed)
        tflite = convert_int8(model, representative((256,), seed=seed) * spread)
        assert [op.opcode for op in read(tflite).operators] == ["LOGISTIC" if activation == "sigmoid" else "TANH"]
        every_input = np.arange(-128, 128, dtype=np.int8).reshape(1, 1, 256)
        report = check_model(tflite, inputs=every_input, build_dir=tmp_path / str(seed))
        assert report.ok, report.summary()


def test_arena_meets_the_liveness_lower_bound(keras_models):
    from tinydistill.engine.planner import plan

    from .test_planner import _check_no_overlap

    for name, tflite in keras_models.items():
        p = plan(read(tflite))
        _check_no_overlap(p)
        assert p.arena_size == p.lower_bound, name
