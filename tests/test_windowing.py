"""Windows, splits by recording without leakage, normalization from training data only."""

from __future__ import annotations

import os

import numpy as np
import pytest

from tinydistill.data import datasets
from tinydistill.data.csvdata import CsvSpec
from tinydistill.data.datasets import Recording
from tinydistill.errors import TinyDistillError
from tinydistill.rundir import open_run
from tinydistill.data.windowing import (WindowPlan, check_lengths, fit_normalization, make_windows, missing_classes,
                                        split_recordings, warn_missing_classes, windows_for_run)


def _ramp(rec_id, n, channels=2, label=0):
    values = np.arange(n * channels, dtype=float).reshape(n, channels)
    return Recording(rec_id, values, np.full(n, label))


def test_windows_hop_and_last_sample_label():
    r = Recording("a", np.arange(10.0)[:, None], np.array([0] * 6 + [1] * 4))
    w = make_windows([r], WindowPlan(window=4, hop=3, teacher_idx=(0,), student_idx=(0,)))
    assert w.xs[:, :, 0].tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    assert w.label.tolist() == [0, 1, 1]  # the label of each window's last sample
    assert w.end.tolist() == [3, 6, 9]


def test_privileged_time_extends_only_the_teacher_window():
    r = _ramp("a", 20)
    plan = WindowPlan(window=4, hop=4, teacher_idx=(0, 1), student_idx=(1,), extra=2, lookahead=3, horizon=3,
                      predict_idx=1)
    w = make_windows([r], plan)
    assert w.xs.shape[1:] == (4, 1) and w.xt.shape[1:] == (6, 2)
    for i, end in enumerate(w.end):
        np.testing.assert_array_equal(w.xt[i], r.values[end - 3:end + 3])
        assert w.target[i] == r.values[end + 3, 1]
    assert w.end.max() + 3 <= 19  # the target always exists


def test_short_recordings_are_refused_with_the_recording_named():
    with pytest.raises(TinyDistillError, match="'short' has 5 samples.*--window 8"):
        check_lengths([_ramp("ok", 20), _ramp("short", 5)], WindowPlan(8, 1, (0,), (0,)))


def test_splits_are_disjoint_stratified_and_seeded():
    ds = datasets.load("basic-motions")
    train, val, test = split_recordings(ds.recordings, seed=3)
    assert set(train).isdisjoint(val) and set(train).isdisjoint(test) and set(val).isdisjoint(test)
    assert sorted(train + val + test) == list(range(80))
    assert (len(train), len(val), len(test)) == (48, 16, 16)
    for part in (train, val, test):  # every activity in every split
        assert len({int(ds.recordings[i].labels[0]) for i in part}) == 4
    assert split_recordings(ds.recordings, seed=3) == (train, val, test)
    assert split_recordings(ds.recordings, seed=4) != (train, val, test)


def test_a_class_too_rare_for_val_and_test_is_reported(capsys):
    recs = [_ramp(f"a{i}", 10, label=0) for i in range(5)] + [_ramp(f"b{i}", 10, label=1) for i in range(5)]
    recs.append(_ramp("c0", 10, label=2))  # one recording: it can only train
    parts = split_recordings(recs, seed=0)
    for part in parts:  # the classes with enough recordings are in every split
        assert {0, 1} <= {int(recs[i].labels[0]) for i in part}
    assert 10 in parts[0]
    assert missing_classes(recs, parts, ["a", "b", "c"]) == {"val": ["c"], "test": ["c"]}
    assert warn_missing_classes(recs, parts, ["a", "b", "c"]) == {"val": ["c"], "test": ["c"]}
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "class c" in err[0] and "val split" in err[0]
    assert "test split" in err[1]


def test_normalization_uses_only_the_given_recordings():
    recs = [_ramp("a", 10), Recording("b", np.full((10, 2), 1000.0), np.zeros(10, int))]
    mean, std = fit_normalization(recs, [0], [0, 1])
    np.testing.assert_allclose(mean, recs[0].values.mean(0))
    np.testing.assert_allclose(std, recs[0].values.std(0))
    _, std_const = fit_normalization(recs, [1], [0])
    assert std_const.tolist() == [1.0]  # constant channel: no division by zero


def test_basic_motions_is_the_real_uea_data():
    ds = datasets.load("basic-motions")
    assert ds.channels == ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
    assert sorted(ds.labels) == ["badminton", "running", "standing", "walking"]
    assert len(ds.recordings) == 80 and {len(r.values) for r in ds.recordings} == {100}
    assert ds.sample_rate_hz == 10.0
    assert ds.recordings[0].values[0, 0] == pytest.approx(0.079106)


def test_mackey_glass_is_deterministic_and_labels_look_ahead():
    a, b = datasets.load("mackey-glass", horizon=8), datasets.load("mackey-glass", horizon=8)
    r = a.recordings[0]
    np.testing.assert_array_equal(r.values, b.recordings[0].values)
    assert 0.2 < r.values.min() and r.values.max() < 1.5  # the attractor's range for tau=17
    x = r.values[:, 0]
    assert r.labels[:-8].tolist() == (x[8:] > x[:-8]).astype(int).tolist()
    assert (r.labels[-8:] == -1).all()


def test_mnist1d_generates_offline_without_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ds = datasets.load("mnist1d")
    assert len(ds.recordings) == 5000 and ds.recordings[0].values.shape == (40, 1)
    assert len(ds.labels) == 10
    assert os.listdir(tmp_path) == []  # get_dataset() would have written a pickle here


@pytest.mark.slow
def test_windows_for_run_reproduces_the_test_split(basic_motions_privileged_run):
    run = open_run(basic_motions_privileged_run)
    cfg = run.config
    stream = datasets.load(CsvSpec(run.file("test_stream.csv"), group="rec", label="label",
                                   channels=tuple(cfg["student_channels"])))
    x, y = windows_for_run(run, stream)
    splits = run.splits()
    np.testing.assert_allclose(x, splits["x_test"], atol=1e-5)
    np.testing.assert_array_equal(y, splits["y_test"])


@pytest.mark.slow
def test_forecast_windows_for_run_matches_split(forecast_run):
    run = open_run(forecast_run)
    ds = datasets.load("mackey-glass", horizon=run.config["horizon"])
    test_ids = set(run.config["splits"]["test"])
    ds = datasets.Dataset(ds.name, ds.channels, ds.labels, tuple(r for r in ds.recordings if r.id in test_ids),
                          ds.sample_rate_hz, ds.label_lookahead)
    x, y = windows_for_run(run, ds)
    splits = run.splits()
    np.testing.assert_allclose(x, splits["x_test"], atol=1e-5)
    np.testing.assert_allclose(y, splits["y_test"], atol=1e-5)


def test_prepare_hayashi_setting_gives_the_teacher_intermediate_time():
    from tinydistill.training.train import TrainConfig, prepare

    prep = prepare(TrainConfig(dataset="mackey-glass"))  # classify: "rises 8 steps ahead"
    tr = prep.data["train"]
    assert prep.window == 4 and prep.extra == 7
    assert tr["xs"].shape[1:] == (4, 1) and tr["xt"].shape[1:] == (11, 1)
    np.testing.assert_array_equal(tr["xt"][:, :4], tr["xs"])  # the teacher's window starts as the student's
    assert set(np.unique(tr["y"])) == {0, 1}


def test_prepare_anomaly_from_a_01_label_column(tmp_path):
    from tinydistill.training.train import TrainConfig, prepare

    rng = np.random.default_rng(0)
    lines = ["rec,a,flag"] + [f"r{r},{rng.normal():.3f},{int(r % 3 == 0)}" for r in range(9) for _ in range(20)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    prep = prepare(TrainConfig(csv=str(tmp_path / "d.csv"), group="rec", label="flag", channels=("a",),
                               task="anomaly", window=5, hop=5))
    assert prep.labels == ["normal", "anomaly"] and prep.classes[prep.normal_id] == "0"
    assert (prep.data["train"]["y"] == 0).all()  # autoencoders see normal windows only
    assert set(np.unique(prep.data["test"]["y"])) == {0, 1}
