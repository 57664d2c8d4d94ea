"""Small Keras models converted to full int8 with a fixed batch of 1, for tests and the op zoo.

`convert_int8` is the conversion every test uses: TFLiteConverter.from_keras_model
on a model whose Input has batch_size=1, a representative dataset, int8 input
and output, TFLITE_BUILTINS_INT8 only.
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def convert_int8(model, representative: np.ndarray, n_calibration: int = 64) -> bytes:
    """Full-int8 .tflite bytes of a Keras model (built with batch_size=1) for inputs like representative[0]."""
    import tensorflow as tf

    # The model's own Input carries batch_size=1 (see `sequential`): a fixed batch
    # keeps Flatten a plain RESHAPE and a dilated Conv1D one CONV_2D.
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]

    def dataset():
        for x in representative[:n_calibration]:
            yield [x[None].astype(np.float32)]

    converter.representative_dataset = dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


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


def representative(input_shape: tuple[int, ...], n: int = 64, seed: int = 0) -> np.ndarray:
    """Seeded standard-normal windows for calibration."""
    return np.random.default_rng(seed).normal(0.0, 1.0, (n, *input_shape)).astype(np.float32)


def keras_int8(input_shape: tuple[int, ...], layers: list, seed: int = 0) -> bytes:
    """Build, randomize and convert a Sequential model in one call."""
    model = sequential(input_shape, layers, seed)
    return convert_int8(model, representative(input_shape, seed=seed))
