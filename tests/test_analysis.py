"""Per-op analysis: MACs against hand-computed values, parameter counts against Keras."""

import keras
import numpy as np
import pytest

from tinydistill.deploy import analysis
from tinydistill.deploy.quantize import convert_int8

RNG = np.random.default_rng(0)


def _convert(model, shape):
    # Like a trained model: no bias left at its all-zero initial value (the converter drops those names).
    for layer in model.layers:
        layer.set_weights([np.abs(RNG.normal(size=w.shape)) + 0.5 if w.ndim == 1 else RNG.normal(size=w.shape)
                           for w in layer.get_weights()])
    return convert_int8(model, RNG.normal(size=(20, *shape)).astype(np.float32))


def test_small_conv_and_dense_model_by_hand():
    # Conv1D(4, k3, valid) on 16x2 -> 14x4; Flatten 56; Dense 3.
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((16, 2)), keras.layers.Conv1D(4, 3, activation="relu", name="conv"),
                              keras.layers.Flatten(name="flat"), keras.layers.Dense(3, name="head")])
    a = analysis.analyze(_convert(model, (16, 2)), [layer.name for layer in model.layers])
    rows = {r.op: r for r in a.rows if r.kind != "reshape"}
    assert rows["CONV_2D"].macs == 14 * 4 * 3 * 2  # out elements x kh x kw x in_ch = 336
    assert rows["FULLY_CONNECTED"].macs == 3 * 56  # out x in = 168
    assert a.macs == 336 + 168 and a.adds == 0
    assert rows["CONV_2D"].params == 4 * 3 * 2 + 4 and rows["FULLY_CONNECTED"].params == 56 * 3 + 3
    assert a.params == model.count_params()
    assert a.params_by_layer() == {"conv": 28, "flat": 0, "head": 171}
    assert rows["CONV_2D"].output_shape == (1, 1, 14, 4) and rows["CONV_2D"].activation_bytes == 56
    assert rows["CONV_2D"].weight_bytes == 24 + 4 * 4  # int8 weights + int32 bias
    assert rows["CONV_2D"].quant_bytes == 4 * analysis.QUANT_BYTES_PER_CHANNEL
    assert a.input_shape == (1, 16, 2) and a.input_bytes == 32


def test_depthwise_pooling_and_folded_batch_norm_by_hand():
    # Conv1D(6, k3, same) + BN (folded into the conv) -> SeparableConv1D(8, k3, same) -> MaxPool(2)
    # -> GlobalAveragePooling -> Dense(2), on a 10x3 window.
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((10, 3)), keras.layers.Conv1D(6, 3, padding="same", name="conv"),
        keras.layers.BatchNormalization(name="bn"), keras.layers.ReLU(name="relu"),
        keras.layers.SeparableConv1D(8, 3, padding="same", activation="relu", name="sep"),
        keras.layers.MaxPooling1D(2, name="pool"), keras.layers.GlobalAveragePooling1D(name="gap"),
        keras.layers.Dense(2, name="head")])
    a = analysis.analyze(_convert(model, (10, 3)), [layer.name for layer in model.layers])
    by_op = {}
    for r in a.rows:
        by_op.setdefault(r.op, []).append(r)
    conv, pointwise = by_op["CONV_2D"]
    assert conv.macs == 10 * 6 * 3 * 3  # 540
    assert by_op["DEPTHWISE_CONV_2D"][0].macs == 10 * 6 * 3  # out elements x kh x kw = 180
    assert pointwise.macs == 10 * 8 * 6  # 480
    assert by_op["MAX_POOL_2D"][0].adds == 5 * 8 * 2  # comparisons: out elements x window
    assert by_op["MEAN"][0].adds == 5 * 8  # additions: one per input element
    assert by_op["FULLY_CONNECTED"][0].macs == 16
    # Parameters: BN's gamma, beta, mean and variance fold into the conv (4 x 6 Keras parameters vanish);
    # the zero bias the converter gives the depthwise half of SeparableConv1D is not counted.
    keras_params = {layer.name: layer.count_params() for layer in model.layers}
    per_layer = a.params_by_layer()
    assert per_layer["conv"] == keras_params["conv"] == 3 * 3 * 6 + 6
    assert per_layer["sep"] == keras_params["sep"] == 3 * 6 + 6 * 8 + 8
    assert per_layer["head"] == keras_params["head"]
    assert a.params == model.count_params() - 4 * 6


def test_anchor_model_matches_its_published_counts(anchor_model):
    a = analysis.analyze(anchor_model)
    assert a.macs == 16_624 and a.adds == 960  # anchors/README.md: 7,440 + 1,440 + 7,680 + 64; MEAN 960
    assert [r.macs for r in a.rows if r.macs] == [7440, 1440, 7680, 64]
    assert a.arena_bytes >= a.arena_lower_bound > 0
    assert a.rows[a.peak_step].op in ("CONV_2D", "DEPTHWISE_CONV_2D", "MEAN")


@pytest.mark.slow
def test_student_parameters_match_keras(basic_motions_int8):
    run, _ = basic_motions_int8
    names = analysis.keras_layer_names(run / "student.keras")
    a = analysis.analyze(run / "student_int8.tflite", names)
    model = keras.models.load_model(run / "student.keras", compile=False)
    assert a.params == model.count_params()
    for layer in model.layers:
        assert a.params_by_layer().get(layer.name, 0) == layer.count_params(), layer.name
