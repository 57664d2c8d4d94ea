"""Small Keras students converted to full int8 (batch 1): generated C is bit-exact with BUILTIN_REF."""

import numpy as np
import pytest
from conftest import need_tools

from tinydistill.engine.check import check_model
from tinydistill.engine.reader import read

pytestmark = pytest.mark.slow

MODEL_NAMES = ["conv_same_dilated_pools", "separable_depthwise_sigmoid", "dense_tanh", "conv_valid_stride3_lut",
               "depthwise_same_dilated_relu6"]


def _specs():
    import keras
    from keras import layers as L

    return {
        "conv_same_dilated_pools": ((40, 3), [
            L.Conv1D(6, 3, padding="same", dilation_rate=2, activation="relu"),
            L.Conv1D(5, 4, strides=2, padding="same", activation=keras.activations.relu6),
            L.MaxPooling1D(2), L.AveragePooling1D(3, strides=2, padding="same"),
            L.GlobalAveragePooling1D(), L.Dense(4, activation="softmax")]),
        "separable_depthwise_sigmoid": ((33, 4), [
            L.SeparableConv1D(8, 5, strides=2, padding="same", depth_multiplier=2, activation="relu"),
            L.DepthwiseConv1D(3, padding="valid", depth_multiplier=2),
            L.MaxPooling1D(3, strides=1, padding="same"), L.Flatten(), L.Dense(3, activation="sigmoid")]),
        "dense_tanh": ((12, 2), [L.Flatten(), L.Dense(16, activation="tanh"), L.Dense(8, activation="relu"),
                                 L.Dense(5)]),
        "conv_valid_stride3_lut": ((50, 1), [
            L.Conv1D(4, 7, strides=3, activation="tanh"), L.AveragePooling1D(2),
            L.Conv1D(3, 2, dilation_rate=3, padding="same"), L.Activation("sigmoid")]),
        "depthwise_same_dilated_relu6": ((21, 3), [
            L.DepthwiseConv1D(4, padding="same", dilation_rate=2, depth_multiplier=3, activation="relu6"),
            L.Conv1D(4, 1), L.GlobalAveragePooling1D(), L.Softmax()]),
    }


@pytest.fixture(scope="session")
def keras_models() -> dict[str, bytes]:
    """Every spec converted once per session."""
    from tinydistill.engine.testing import keras_int8

    assert sorted(_specs()) == sorted(MODEL_NAMES)
    return {name: keras_int8(shape, layers, seed=i) for i, (name, (shape, layers)) in enumerate(_specs().items())}


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

    from tinydistill.engine.testing import convert_int8, representative, sequential

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
