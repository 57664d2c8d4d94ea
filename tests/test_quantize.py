"""Full-int8 conversion and the float-vs-int8 check, against the reference interpreter."""

import json

import keras
import numpy as np
import pytest
from click.testing import CliRunner

from tinydistill import oracle
from tinydistill.cli import cli
from tinydistill.engine import reader
from tinydistill.errors import TinyDistillError
from tinydistill.deploy.quantize import convert_int8, quantize_run

WINDOWS = np.random.default_rng(0).normal(size=(40, 16, 2)).astype(np.float32)


def _model(*layers):
    return keras.Sequential([keras.Input((16, 2)), *layers])


def test_convert_int8_is_full_int8_batch_one_and_deterministic():
    keras.utils.set_random_seed(1)
    model = _model(keras.layers.Conv1D(4, 3, activation="relu"), keras.layers.Flatten(), keras.layers.Dense(3))
    first, second = convert_int8(model, WINDOWS), convert_int8(model, WINDOWS)
    assert first == second
    ir = reader.read(first)
    assert ir.input.shape == (1, 16, 2) and ir.input.dtype == "int8" and ir.output.dtype == "int8"
    assert {t.dtype for t in ir.tensors if not t.is_constant} == {"int8"}
    assert [op.opcode for op in ir.operators] == ["RESHAPE", "CONV_2D", "RESHAPE", "FULLY_CONNECTED"]
    # The int8 model tracks the float one (dequantized outputs within a few output steps).
    interp = oracle.interpreter(first)
    (s_in, z_in), (s_out, z_out) = (interp.get_input_details()[0]["quantization"],
                                    interp.get_output_details()[0]["quantization"])
    q = np.clip(np.round(WINDOWS / s_in) + z_in, -128, 127).astype(np.int8)
    got = (oracle.run(first, q).astype(np.float32) - z_out) * s_out
    want = model.predict(WINDOWS, verbose=0)
    assert np.abs(got.reshape(want.shape) - want).max() < 8 * s_out


def test_recurrent_loop_is_refused_with_its_name_and_the_fix():
    model = _model(keras.layers.LSTM(4, name="my_lstm"), keras.layers.Dense(2))
    with pytest.raises(TinyDistillError, match=r"layer 'my_lstm' \(LSTM\).*unroll=True"):
        convert_int8(model, WINDOWS)


def test_op_without_int8_builtin_is_refused_with_the_layer_name():
    model = _model(keras.layers.Lambda(lambda t: keras.ops.erf(t), name="erf_layer"), keras.layers.Flatten(),
                   keras.layers.Dense(2))
    with pytest.raises(TinyDistillError, match=r"layer 'erf_layer' \(Lambda\).*replace the Lambda"):
        convert_int8(model, WINDOWS)


def test_layer_left_in_float_is_refused():
    model = _model(keras.layers.LayerNormalization(name="norm"), keras.layers.Flatten(), keras.layers.Dense(2))
    with pytest.raises(TinyDistillError, match=r"layer 'norm' \(LayerNormalization\).*BatchNormalization"):
        convert_int8(model, WINDOWS)


@pytest.mark.slow
def test_basic_motions_int8_accuracy_within_the_allowed_drop(basic_motions_int8):
    run, report = basic_motions_int8
    assert report.ok, report.verdict()
    assert report.drop <= 2.0 and report.int8_metrics["accuracy"] > 0.5  # 4 classes: chance is 0.25
    assert (run / "student_int8.tflite").read_bytes()[4:8] == b"TFL3"
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["student_int8"]) == set(metrics["student"])  # the same keys as the float student
    assert {"teacher", "student", "baseline"} <= set(metrics)  # siblings are kept
    # The float figure it compares against is the one `train` recorded.
    assert report.float_metrics["accuracy"] == pytest.approx(metrics["student"]["accuracy"])


@pytest.mark.slow
@pytest.mark.parametrize("fixture, metric", [("forecast_run", "mae"), ("anomaly_run", "auc"),
                                             ("basic_motions_privileged_run", "accuracy")])
def test_every_student_kind_quantizes_with_the_same_metric_keys(request, fixture, metric):
    run = request.getfixturevalue(fixture)
    report = quantize_run(run)
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["student_int8"]) == set(metrics["student"]) and metric in metrics["student_int8"]
    assert report.float_metrics[metric] == pytest.approx(metrics["student"][metric], rel=1e-4)
    # A forecast's int8 output step is close to a well-trained student's MAE itself, so the relative
    # increase varies with training; it must stay moderate (the default allowance is 10 %).
    assert report.drop < (25.0 if fixture == "forecast_run" else report.max_drop), report.verdict()


@pytest.mark.slow
def test_cli_prints_side_by_side_and_exits_1_over_the_allowed_drop(basic_motions_int8):
    run = str(basic_motions_int8[0])
    ok = CliRunner().invoke(cli, ["quantize", run])
    assert ok.exit_code == 0, ok.output
    assert "float" in ok.output and "int8" in ok.output and "accuracy" in ok.output
    # A negative allowance cannot be met: the check fails with exit 1 and says why.
    bad = CliRunner().invoke(cli, ["quantize", run, "--max-drop", "-1"])
    assert bad.exit_code == 1 and "raise --max-drop" in bad.output


def test_not_a_run_directory_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["quantize", str(tmp_path)])
    assert result.exit_code == 2 and "not a run directory" in result.output
