"""Part 2 of the op set, one small Keras model per feature, each bit-exact with BUILTIN_REF;
the dynamic-batch folding on the IR; `--list-ops`; refusals that name the op, the layer
and the fix."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import need_tools

from tinydistill.cli import cli
from tinydistill.engine.check import check_model
from tinydistill.engine.codegen import generate
from tinydistill.engine.fold import fold
from tinydistill.engine.reader import read_bytes
from tinydistill.errors import UnsupportedModel


def _model(name: str):
    """(Keras model, input shape, input range) of the named feature model (batch 1 unless 'dynamic')."""
    import keras

    L = keras.layers
    batch = None if name.startswith("dynamic") else 1
    shape = (9, 7, 2) if name in ("pad_pools_2d",) else (12, 4)
    i = keras.Input(shape, batch_size=batch)
    if name == "broadcast_mul_sub":  # squeeze-and-excite: [1,W,C] op [1,1,C]
        se = L.GlobalAveragePooling1D(keepdims=True)(i)
        out = L.Subtract()([L.Multiply()([i, L.Dense(4, activation="sigmoid")(se)]), L.Dense(4)(se)])
    elif name == "constant_operand":  # MUL by a constant
        out = L.Concatenate()([L.Conv1D(3, 3, padding="same")(i), L.Conv1D(2, 1)(i * 5.0)])
    elif name == "requantize_for_concat":  # TANH's fixed output scale → QUANTIZE int8 → int8
        c = L.Conv1D(4, 1)(i)
        out = L.Concatenate(axis=1)([L.MaxPooling1D(2)(c), L.Activation("tanh")(c)])
    elif name == "leaky_relu":
        out = L.LeakyReLU(0.15)(L.Conv1D(3, 3)(i))
    elif name == "relu6_standalone":  # cannot fuse into CONCATENATION
        out = L.ReLU(6.0)(L.Concatenate()([L.Conv1D(2, 1)(i), L.Conv1D(2, 3, padding="same")(i)]))
    elif name == "split_v_crop":
        parts = keras.ops.split(i, [1, 3], axis=-1)
        out = L.Concatenate()([L.Cropping1D((2, 3))(parts[0]), L.Cropping1D((1, 4))(parts[2])])
    elif name == "strided_slices":  # steps, negative strides, shrink axis
        out = L.Concatenate()([L.Flatten()(i[:, 1:9:3, :]), L.Flatten()(i[:, -2:, 1:]),
                               L.Flatten()(i[:, 7:2:-2, :2]), L.Flatten()(i[:, ::-3, 0])])
    elif name == "pad_pools_2d":  # general 2-D: asymmetric pads, SAME pools with strides, strided conv
        x = L.ZeroPadding2D(((1, 2), (0, 1)))(i)
        x = L.MaxPooling2D((3, 2), strides=(2, 1), padding="same")(x)
        x = L.AveragePooling2D((2, 3), strides=(1, 2), padding="same")(x)
        out = L.Conv2D(3, (2, 3), strides=(2, 1), padding="same")(x)
    elif name == "dynamic_flatten_dilated":  # the two dynamic-batch patterns
        x = L.Conv1D(4, 3, dilation_rate=2, padding="same", activation="relu")(i)
        x = L.DepthwiseConv1D(3, dilation_rate=3, depth_multiplier=2)(x)
        out = L.Dense(3)(L.Flatten()(x))
    else:
        raise KeyError(name)
    return keras.Model(i, out), shape


FEATURES = ("broadcast_mul_sub", "constant_operand", "requantize_for_concat", "leaky_relu", "relu6_standalone", "split_v_crop",
            "strided_slices", "pad_pools_2d", "dynamic_flatten_dilated")
EXPECTED_OPS = {"broadcast_mul_sub": {"MUL", "SUB"}, "constant_operand": {"MUL", "CONCATENATION"},
                "requantize_for_concat": {"QUANTIZE", "TANH", "CONCATENATION"},
                "leaky_relu": {"LEAKY_RELU"}, "relu6_standalone": {"RELU6"}, "split_v_crop": {"SPLIT_V"},
                "strided_slices": {"STRIDED_SLICE"}, "pad_pools_2d": {"PAD", "MAX_POOL_2D", "AVERAGE_POOL_2D"},
                "dynamic_flatten_dilated": {"SPACE_TO_BATCH_ND", "SHAPE", "PACK"}}


@pytest.fixture(scope="module")
def converted() -> dict[str, bytes]:
    from .builders import convert_default, randomize

    out = {}
    for k, name in enumerate(FEATURES):
        model, shape = _model(name)
        randomize(model, k)
        calibration = np.random.default_rng(k).uniform(-2.0, 3.0, (48, *shape)).astype(np.float32)
        out[name] = convert_default(model, calibration)
        # TF 2.21's converter sometimes leaves split_v_crop's input float (a DEQUANTIZE in front of
        # SPLIT_V), depending on what the process converted before (2 of 4 runs here): convert again.
        for _ in range(3):
            if "DEQUANTIZE" not in {op.opcode for op in read_bytes(out[name]).operators}:
                break
            out[name] = convert_default(model, calibration)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", FEATURES)
def test_feature_model_bit_exact(converted, name, tmp_path):
    need_tools("gcc")
    ops = {op.opcode for op in read_bytes(converted[name]).operators}
    assert EXPECTED_OPS[name] <= ops, f"the converter no longer emits {EXPECTED_OPS[name] - ops} for {name}"
    report = check_model(converted[name], n_windows=120, seed=3, build_dir=tmp_path)
    assert report.ok, report.summary()


@pytest.mark.slow
def test_dynamic_batch_patterns_fold_to_dilated_convs_and_a_plain_reshape(converted, tmp_path):
    model = read_bytes(converted["dynamic_flatten_dilated"])
    folded = fold(model)
    ops = [op.opcode for op in folded.operators]
    assert not {"SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND", "SHAPE", "PACK", "STRIDED_SLICE"} & set(ops)
    convs = [op for op in folded.operators if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    assert [(op.opcode, op.option("dilation_w_factor"), op.option("padding")) for op in convs] == [
        ("CONV_2D", 2, "SAME"), ("DEPTHWISE_CONV_2D", 3, "VALID")]
    assert all(op.opcode != "RESHAPE" or len(op.inputs) == 1 or folded.tensor(op.inputs[1]).is_constant
               for op in folded.operators)
    assert fold(folded) is folded  # nothing left to fold
    a, b = generate(converted["dynamic_flatten_dilated"], tmp_path / "a"), generate(
        converted["dynamic_flatten_dilated"], tmp_path / "b")
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b))


def test_list_ops_names_part_two_ops_and_options():
    result = CliRunner().invoke(cli, ["codegen", "--list-ops"])
    assert result.exit_code == 0
    for op in ("ADD", "SUB", "MUL", "CONCATENATION", "PAD", "REDUCE_MAX", "QUANTIZE", "RELU6", "STRIDED_SLICE",
               "SPLIT", "UNPACK", "SPACE_TO_BATCH_ND", "LEAKY_RELU"):
        assert any(line.split()[0] == op for line in result.output.splitlines()), op
    assert "broadcasting" in result.output and "dilated" in result.output


@pytest.mark.slow
def test_unsupported_op_is_refused_with_layer_and_fix(tmp_path):
    import keras

    from .builders import convert_int8, randomize

    i = keras.Input((6, 4), batch_size=1)
    model = keras.Model(i, keras.layers.Dense(2)(keras.layers.Permute((2, 1), name="swap_axes")(i)))
    randomize(model)
    tflite = convert_int8(model, np.random.default_rng(0).normal(size=(16, 6, 4)).astype(np.float32))
    with pytest.raises(UnsupportedModel, match=r"TRANSPOSE \(op \d+, layer 'swap_axes.*'\).*Permute"):
        generate(tflite, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    path = tmp_path / "transpose.tflite"
    path.write_bytes(tflite)
    result = CliRunner().invoke(cli, ["codegen", str(path), "--out", str(tmp_path / "cli")])
    assert result.exit_code == 2 and "TRANSPOSE" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_float_io_model_gets_the_int8_api(tmp_path):
    """Converted without inference_input/output_type: QUANTIZE/DEQUANTIZE at the boundary are stripped."""
    import keras
    import tensorflow as tf

    from .builders import randomize

    need_tools("gcc")
    i = keras.Input((10, 3), batch_size=1)
    model = keras.Model(i, keras.layers.Dense(4, activation="softmax")(
        keras.layers.Flatten()(keras.layers.Conv1D(3, 3, activation="relu")(i))))
    randomize(model, 5)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    windows = np.random.default_rng(1).normal(size=(32, 1, 10, 3)).astype(np.float32)
    converter.representative_dataset = lambda: ([w] for w in windows)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    tflite = converter.convert()
    ir = read_bytes(tflite)
    assert (ir.input.dtype, ir.output.dtype) == ("float32", "float32")
    assert [ir.operators[0].opcode, ir.operators[-1].opcode] == ["QUANTIZE", "DEQUANTIZE"]
    report = check_model(tflite, n_windows=60, seed=2, build_dir=tmp_path)
    assert report.ok, report.summary()
    header = (tmp_path / "src" / "model.h").read_text()
    quantize_out = ir.tensor(ir.operators[0].outputs[0])
    assert f"#define TD_MODEL_INPUT_ZERO_POINT {quantize_out.zero_point}\n" in header
