"""Small Keras models converted to int8 for the engine tests (TensorFlow stays on the test side).

`convert_int8` is the project's converter (tinydistill.deploy.quantize.convert_int8: a fixed
batch of 1, int8 input and output, TFLITE_BUILTINS_INT8 only). `convert_default` converts
the way a user of `tinydistill codegen` converts a model of their own (from_keras_model,
the batch as the model's Input says): it is the only way to get the graphs the engine
must take although the project's converter never emits them (dynamic-batch shape
arithmetic, dilated convolutions as SPACE_TO_BATCH_ND, an int8 → int8 QUANTIZE before a
concatenation, which the project's converter refuses as a float bridge).
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

N_CALIBRATION = 64


def convert_int8(model, representative: np.ndarray, n_calibration: int = N_CALIBRATION) -> bytes:
    """Full-int8 .tflite bytes of a Keras model through the project's converter, calibrated on
    the first `n_calibration` windows of `representative`, in order."""
    from tinydistill.deploy.quantize import convert_int8 as project_convert_int8

    return project_convert_int8(model, np.asarray(representative, dtype=np.float32)[:n_calibration])


def convert_default(model, representative: np.ndarray, n_calibration: int = N_CALIBRATION,
                    int8_io: bool = True) -> bytes:
    """Full-int8 .tflite bytes the way users convert their own models (from_keras_model, dynamic batch),
    through the project's one converter; `int8_io=False` keeps float32 input and output."""
    from tinydistill.deploy.quantize import convert_int8

    return convert_int8(model, representative[:n_calibration], fixed_batch=False, int8_io=int8_io)


def randomize(model, seed: int = 0, scale: float = 0.5) -> None:
    """Replace every weight (biases included) by seeded random values, so nothing is zero."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, scale, w.shape).astype(np.float32) for w in model.get_weights()])


def sequential(input_shape: tuple[int, ...], layers: list, seed: int = 0):
    """A Keras Sequential with batch size 1 and seeded random weights."""
    import keras

    model = keras.Sequential([keras.Input(input_shape, batch_size=1), *layers])
    randomize(model, seed)
    return model


def representative(input_shape: tuple[int, ...], n: int = N_CALIBRATION, seed: int = 0) -> np.ndarray:
    """Seeded standard-normal windows for calibration."""
    return np.random.default_rng(seed).normal(0.0, 1.0, (n, *input_shape)).astype(np.float32)


def keras_int8(input_shape: tuple[int, ...], layers: list, seed: int = 0) -> bytes:
    """Build, randomize and convert a Sequential model in one call."""
    model = sequential(input_shape, layers, seed)
    return convert_int8(model, representative(input_shape, seed=seed))


KERAS_MODEL_NAMES = ["conv_same_dilated_pools", "separable_depthwise_sigmoid", "dense_tanh",
                     "conv_valid_stride3_lut", "depthwise_same_dilated_relu6"]


def keras_specs() -> dict:
    """The Keras test models: name → (input shape, layers)."""
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
