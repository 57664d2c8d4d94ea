"""`train` end to end: run directory contract, model sizes, determinism, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from tinydistill.errors import TinyDistillError
from tinydistill.rundir import CONFIG_KEYS, open_run
from tinydistill.training import selection
from tinydistill.training.train import TrainConfig, train

pytestmark = pytest.mark.slow

RUN_FILES = ("config.json", "normalization.json", "teacher.keras", "student.keras", "baseline.keras",
             "splits.npz", "test_stream.csv", "history.json", "metrics.json")


def test_classify_run_directory_contract(basic_motions_run):
    run = open_run(basic_motions_run)
    run.require(*RUN_FILES)
    cfg = run.config
    assert set(CONFIG_KEYS) <= set(cfg)
    assert cfg["labels"] == ["badminton", "running", "standing", "walking"]
    assert run.normalization["channels"] == cfg["channels"]
    # No recording in two splits.
    parts = [set(cfg["splits"][k]) for k in ("train", "val", "test")]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    s = run.splits()
    assert s["x_train"].dtype == np.float32 and s["x_train"].shape[1:] == (cfg["window"], 6)
    assert s["y_test"].dtype == np.int64
    # The saved student outputs probabilities.
    student = run.load_model("student")
    p = student.predict(s["x_test"][:5], verbose=0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    m = run.metrics
    for role in ("teacher", "student", "baseline"):
        assert 0.0 <= m[role]["accuracy"] <= 1.0 and m[role]["params"] > 0
    assert m["student"]["params"] <= 5000
    assert m["teacher"]["params"] >= 20 * m["student"]["params"]
    assert m["student"]["params"] == m["baseline"]["params"]


def test_privileged_channels_reach_only_the_teacher(basic_motions_privileged_run):
    run = open_run(basic_motions_privileged_run)
    cfg = run.config
    assert cfg["student_channels"] == ["acc_x", "acc_y", "acc_z"]
    assert cfg["privileged"] == ["gyro_x", "gyro_y", "gyro_z"]
    assert cfg["hyperparameters"]["hint"] is True
    assert run.load_model("teacher").input_shape[-1] == 6
    assert run.load_model("student").input_shape[-1] == 3
    assert run.file("test_stream.csv").read_text().splitlines()[0] == "rec,acc_x,acc_y,acc_z,label"
    assert run.metrics["student"]["accuracy"] > 0.6  # chance is 0.25


def test_forecast_run(forecast_run):
    run = open_run(forecast_run)
    cfg, m = run.config, run.metrics
    assert cfg["task"] == "forecast" and cfg["predict_channel"] == "x" and cfg["horizon"] == 8
    assert run.load_model("teacher").input_shape[1] == cfg["window"] + 7  # privileged intermediate time
    assert run.load_model("student").output_shape == (None, 1)
    for role in ("teacher", "student", "baseline"):
        assert {"mae", "rise_accuracy", "params"} <= set(m[role])
    assert m["student"]["rise_accuracy"] > 0.7


def test_anomaly_run(anomaly_run):
    run = open_run(anomaly_run)
    cfg, s = run.config, run.splits()
    assert cfg["labels"] == ["normal", "anomaly"] and cfg["normal_class"] == "standing"
    assert cfg["threshold"] > 0
    assert (s["y_train"] == 0).all() and set(np.unique(s["y_test"])) == {0, 1}
    assert run.load_model("student").output_shape[1:] == s["x_train"].shape[1:]
    assert run.metrics["student"]["auc"] > 0.8


@pytest.mark.parametrize("fixture", ["basic_motions_run", "forecast_run", "anomaly_run"])
def test_students_convert_to_full_int8_builtins(fixture, request):
    import tensorflow as tf

    run = open_run(request.getfixturevalue(fixture))
    student = run.load_model("student")
    x = run.splits()["x_train"]
    converter = tf.lite.TFLiteConverter.from_keras_model(student)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([x[i:i + 1]] for i in range(min(len(x), 64)))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    flat = converter.convert()
    from ai_edge_litert.interpreter import Interpreter

    ops = {d["op_name"] for d in Interpreter(model_content=flat)._get_ops_details()}
    assert "FLEX" not in " ".join(ops) and "CUSTOM" not in ops, ops


def test_same_seed_same_metrics(tmp_path):
    options = dict(dataset="basic-motions", epochs=2, teacher_epochs=1, hop=16, seed=5)
    a = train(TrainConfig(**options), tmp_path / "a", progress=False).metrics
    b = train(TrainConfig(**options), tmp_path / "b", progress=False).metrics
    assert a == b


def test_teacher_from_reuses_the_trained_teacher_of_the_same_split_only(tmp_path):
    options = dict(dataset="basic-motions", epochs=1, teacher_epochs=2, hop=16, temperature=4, alpha=0.9)
    first = train(TrainConfig(**options, seed=3), tmp_path / "a", progress=False)
    second = train(TrainConfig(**options, seed=3, student_width=8, teacher_from=str(first.path)), tmp_path / "b",
                   progress=False)
    x = first.splits()["x_test"]
    np.testing.assert_array_equal(first.load_model("teacher").predict(x, verbose=0),
                                  second.load_model("teacher").predict(x, verbose=0))
    assert second.metrics["training"]["teacher"]["reused_from"] == str(first.path)
    assert second.metrics["training"]["teacher"]["steps"] == first.metrics["training"]["teacher"]["steps"]
    assert second.metrics["teacher"] == first.metrics["teacher"]
    # Another seed draws another split: that teacher has seen this run's test recordings.
    with pytest.raises(TinyDistillError, match="another split"):
        train(TrainConfig(**options, seed=4, teacher_from=str(first.path)), tmp_path / "c", progress=False)
    with pytest.raises(TinyDistillError, match="window"):
        train(TrainConfig(**{**options, "hop": 8}, window=48, seed=3, teacher_from=str(first.path)), tmp_path / "d",
              progress=False)
    assert not (tmp_path / "c").exists() and not (tmp_path / "d").exists()


def test_auto_selection_records_every_point_and_gives_the_baseline_as_many_candidates(basic_motions_run):
    run = open_run(basic_motions_run)
    sel = run.metrics["selection"]
    assert sel["temperature"] == sel["alpha"] == "auto" and sel["split"] == "val"
    assert 0.0 in [g["alpha"] for g in sel["grid"]]
    assert len(sel["baseline_candidates"]) == len(sel["grid"]) == len(selection.grid("auto", "auto"))
    assert all(g["alpha"] == 0.0 for g in sel["baseline_candidates"])
    assert len({g["seed"] for g in sel["baseline_candidates"]}) == len(sel["grid"])
    assert all("accuracy" in g["val"] and g["steps"] > 0 for g in sel["grid"] + sel["baseline_candidates"])
    chosen = max(sel["grid"], key=lambda g: (g["val"]["accuracy"], -g["val"]["cross_entropy"]))
    assert (sel["chosen"]["temperature"], sel["chosen"]["alpha"]) == (chosen["temperature"], chosen["alpha"])
    history = json.loads((run.path / "history.json").read_text())
    for role in ("teacher", "student", "baseline"):
        m = run.metrics["training"][role]
        assert 1 <= m["best_epoch"] <= len(history[role]["val_accuracy"]) and m["steps"] > 0
        assert len(history[role]["train_accuracy"]) == len(history[role]["val_accuracy"]) == len(history[role]["loss"])
        # The restored weights are those of the best validation epoch.
        assert m["best_val"]["accuracy"] == max(history[role]["val_accuracy"])


def test_explicit_temperature_and_alpha_train_one_student_and_one_baseline(tmp_path):
    options = dict(dataset="basic-motions", epochs=2, teacher_epochs=1, hop=16, seed=5, temperature=3, alpha="0.4")
    sel = train(TrainConfig(**options), tmp_path / "a", progress=False).metrics["selection"]
    assert [(g["temperature"], g["alpha"]) for g in sel["grid"]] == [(3.0, 0.4)]
    assert len(sel["baseline_candidates"]) == 1


def test_mixup_transfer_distills_from_a_teacher_on_privileged_channels(tmp_path):
    # Function matching: the teacher (gyroscope too) runs on the same mixed windows as the student.
    options = dict(dataset="basic-motions", privileged=("gyro_x", "gyro_y", "gyro_z"), epochs=2, teacher_epochs=1,
                   hop=16, seed=2, temperature=1, alpha=0.9, transfer="mixup")
    run = train(TrainConfig(**options), tmp_path / "m", progress=False)
    sel = run.metrics["selection"]
    assert sel["transfer"] == "mixup" and [(g["temperature"], g["alpha"]) for g in sel["grid"]] == [(1.0, 0.9)]
    assert np.isfinite(run.metrics["training"]["student"]["best_val"]["cross_entropy"])
    assert 0.0 <= run.metrics["student"]["accuracy"] <= 1.0


def test_toml_config_with_flag_override(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text('dataset = "basic-motions"\nprivileged = ["gyro_x", "gyro_y", "gyro_z"]\n'
                    'alpha = 0.2\nteacher-epochs = 3\n')
    cfg = TrainConfig.from_toml(toml, alpha=0.9, epochs=None)
    assert cfg.dataset == "basic-motions" and cfg.privileged == ("gyro_x", "gyro_y", "gyro_z")
    assert cfg.alpha == 0.9 and cfg.teacher_epochs == 3 and cfg.epochs == TrainConfig().epochs
    toml.write_text("epochz = 3\n")
    with pytest.raises(TinyDistillError, match="unknown option.*epochz"):
        TrainConfig.from_toml(toml)


def test_cli_train_basic_motions_beats_chance(tmp_path):
    out = tmp_path / "bm"
    result = subprocess.run(
        [sys.executable, "-m", "tinydistill", "train", "--dataset", "basic-motions", "--epochs", "20",
         "--teacher-epochs", "5", "--seed", "1", "--out", str(out), "--progress"],  # stderr is no terminal here
        check=True, capture_output=True, text=True)
    assert "student (distilled)" in result.stdout and "baseline (no KD)" in result.stdout
    assert "teacher: epoch 5/5" in result.stderr  # short progress lines, no Keras bars
    assert "━" not in result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["student"]["accuracy"] > 0.7  # chance is 0.25
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bm"]  # no temporary directory left
