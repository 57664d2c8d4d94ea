"""Models users bring: .keras, SavedModel and float .tflite go through budget and codegen with calibration windows."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import need_tools
from tinydistill.cli import cli
from tinydistill.deploy.model_input import kind, load_calibration
from tinydistill.errors import TinyDistillError


def test_calibration_windows_from_npy_and_csv(tmp_path):
    x = np.arange(2 * 4 * 3, dtype=np.float32).reshape(2, 4, 3)
    np.save(tmp_path / "w.npy", x)
    np.testing.assert_array_equal(load_calibration(tmp_path / "w.npy", (1, 4, 3), "why"), x)
    np.save(tmp_path / "flat.npy", x.reshape(2, 12))
    np.testing.assert_array_equal(load_calibration(tmp_path / "flat.npy", (1, 4, 3), "why"), x)
    rows = "\n".join(",".join(f"{v:g}" for v in w.ravel()) for w in x)
    (tmp_path / "w.csv").write_text("h" + ",h" * 11 + "\n" + rows + "\n")  # sample by sample, channels fastest
    np.testing.assert_array_equal(load_calibration(tmp_path / "w.csv", (1, 4, 3), "why"), x)
    with pytest.raises(TinyDistillError, match=r"shape \(2, 4, 3\); the model takes windows of \(5, 3\)"):
        load_calibration(tmp_path / "w.npy", (1, 5, 3), "why")
    with pytest.raises(TinyDistillError, match="must be quantized: pass --calibration"):
        load_calibration(None, (1, 4, 3), "must be quantized")
    (tmp_path / "nan.csv").write_text(rows.replace("5", "nan", 1))
    with pytest.raises(TinyDistillError, match="NaN"):
        load_calibration(tmp_path / "nan.csv", (1, 4, 3), "why")


def test_anything_else_gets_the_conversion_snippet(tmp_path):
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"\x08\x07")
    assert kind(onnx) == "unknown" and kind(tmp_path) == "unknown"
    for command in (["codegen", str(onnx), "--out", str(tmp_path / "c")],
                    ["budget", str(onnx), "--target", "cortex-m4"]):
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert 'model.save("model.keras")' in result.output and "TFLiteConverter.from_saved_model" in result.output
    assert not (tmp_path / "c").exists()


@pytest.mark.slow
def test_keras_savedmodel_and_float_tflite_go_through_budget_and_codegen(basic_motions_int8, tmp_path):
    import keras
    import tensorflow as tf

    need_tools("gcc")
    run = basic_motions_int8[0]
    x = np.load(run / "splits.npz")["x_train"]
    np.save(tmp_path / "cal.npy", x[:64])
    student = run / "student.keras"
    float_tflite = tmp_path / "float.tflite"
    float_tflite.write_bytes(tf.lite.TFLiteConverter.from_keras_model(
        keras.models.load_model(student, compile=False)).convert())
    saved = tmp_path / "saved"
    keras.models.load_model(student, compile=False).export(saved, verbose=False)
    runner = CliRunner()
    for model in (student, float_tflite, saved):
        b = runner.invoke(cli, ["budget", str(model), "--target", "cortex-m4", "--calibration",
                                str(tmp_path / "cal.npy"), "--json"])
        assert b.exit_code == 0, (model, b.output)
        assert json.loads(b.stdout)["ok"] and "quantized" in b.stderr
        if model == student:  # the Keras model's rows carry its layer names, like a run's
            # Keras numbers layer names per process ("separable_conv1d_7" after other tests): match the prefix
            assert any(row["layer"].startswith("separable_conv1d") for row in json.loads(b.stdout)["layers"])
        c = runner.invoke(cli, ["codegen", str(model), "--calibration", str(tmp_path / "cal.npy"), "--check",
                                "--windows", "20", "--out", str(tmp_path / model.name.replace(".", "_")), "--json"])
        assert c.exit_code == 0, (model, c.output)
        assert json.loads(c.stdout)["check"] == {"ok": True, "exact": 20, "windows": 20}
    missing = runner.invoke(cli, ["codegen", str(student), "--check"])
    assert missing.exit_code == 2 and "--calibration" in missing.output
    # export: the run gives the stream's settings; the model is calibrated on its training windows.
    project = tmp_path / "fw"
    x = runner.invoke(cli, ["export", str(run), "--target", "cortex-m4", "--model", str(student), "--out", str(project),
                            "--json"])
    assert x.exit_code == 0, x.output
    assert "calibrated on the windows of the run's training split" in x.stderr
    em = runner.invoke(cli, ["emulate", str(project), "--on", "host", "--json"])
    assert em.exit_code == 0 and json.loads(em.stdout)["ok"], em.output
