"""`tinydistill datasets` and reading user CSVs."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from tinydistill.data import datasets
from tinydistill.cli import cli
from tinydistill.data.csvdata import CsvSpec
from tinydistill.data.windowing import missing_classes, split_recordings
from tinydistill.errors import TinyDistillError


def test_datasets_command_lists_builtins_with_channels_and_provenance():
    result = CliRunner().invoke(cli, ["datasets"])
    assert result.exit_code == 0, result.output
    for name in ("basic-motions", "mackey-glass", "mnist1d"):
        assert name in result.output
    assert "acc_x, acc_y, acc_z, gyro_x, gyro_y, gyro_z" in result.output
    assert "UEA BasicMotions" in result.output and "tau=17" in result.output
    assert [d.name for d in datasets.list_datasets()] == ["basic-motions", "mackey-glass", "mnist1d", "watch",
                                                          "japanese-vowels"]


def test_datasets_command_lists_watch_and_japanese_vowels_with_provenance():
    result = CliRunner().invoke(cli, ["datasets"])
    assert result.exit_code == 0, result.output
    assert "watch" in result.output and "Burns et al. 2018" in result.output and "split by subject" in result.output
    assert "japanese-vowels" in result.output and "Kudo et al. 1999" in result.output
    assert ", ".join(f"c{i:02d}" for i in range(1, 13)) in result.output
    assert "--privileged c07,c08,c09,c10,c11,c12" in result.output


def test_watch_is_140_recordings_by_10_subjects_split_by_subject():
    ds = datasets.load("watch")
    assert ds.channels == ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
    assert ds.labels == ("PEN", "ABD", "FEL", "IR", "ER", "TRAP", "ROW") and ds.sample_rate_hz == 50.0
    assert len(ds.recordings) == 140 and sum(len(r.values) for r in ds.recordings) == 244_102
    assert min(len(r.values) for r in ds.recordings) == 947 and max(len(r.values) for r in ds.recordings) == 2618
    assert ds.recordings[0].values[0].tolist() == [-1.083608, -0.018609, -0.02726, 0.41141, -1.603097, -2.488642]
    subjects = {r.split_group for r in ds.recordings}
    assert subjects == {str(s) for s in range(1, 11)} and ds.split_by == "subject"
    assert datasets.load("watch") is ds  # parsed once per process
    parts = split_recordings(ds.recordings, seed=0)
    groups = [{ds.recordings[i].split_group for i in part} for part in parts]
    assert [len(g) for g in groups] == [6, 2, 2] and set.union(*groups) == subjects
    assert groups[0].isdisjoint(groups[1]) and groups[0].isdisjoint(groups[2]) and groups[1].isdisjoint(groups[2])
    assert sorted(i for part in parts for i in part) == list(range(140))
    assert missing_classes(ds.recordings, parts, ds.labels) == {}  # every subject did every exercise
    assert split_recordings(ds.recordings, seed=1) != parts


def test_japanese_vowels_is_640_utterances_one_window_each_every_speaker_in_every_split():
    ds = datasets.load("japanese-vowels")
    assert ds.channels == tuple(f"c{i:02d}" for i in range(1, 13))
    assert ds.labels == tuple(str(s) for s in range(1, 10)) and len(ds.recordings) == 640
    assert {r.values.shape for r in ds.recordings} == {(29, 12)}
    first = ds.recordings[0]  # 20 frames in the source: edge-padded with its last frame
    assert first.values[0, 0] == 1.860936 and (first.values[19:] == first.values[19]).all()
    assert not (first.values[18] == first.values[19]).all()
    assert ds.defaults == {"window": 29, "hop": 29}
    parts = split_recordings(ds.recordings, seed=0)
    assert [len(p) for p in parts] == [382, 129, 129]
    for part in parts:
        assert {int(ds.recordings[i].labels[0]) for i in part} == set(range(9))


def _subjects_csv(path, subjects, spanning=False):
    lines = ["rec,subject,t,a,activity"]
    for r in range(12):
        subject = subjects[r % len(subjects)]
        for t in range(20):
            s = subjects[(r + 1) % len(subjects)] if spanning and r == 4 and t == 10 else subject
            lines.append(f"r{r},{s},{t},{np.sin(r + t):.4f},{'walk' if r % 2 else 'run'}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _train(tmp_path, *args):
    return CliRunner().invoke(cli, ["train", *args, "--out", str(tmp_path / "run"), "--epochs", "1",
                                    "--teacher-epochs", "1"])


SPLIT_ARGS = ("--group", "rec", "--label", "activity", "--channels", "a", "--time", "t", "--window", "5")


def test_split_by_gives_train_val_test_disjoint_values(tmp_path):
    from tinydistill.training.train import TrainConfig, prepare

    path = _subjects_csv(tmp_path / "d.csv", ["s1", "s2", "s3", "s4", "s5", "s6"])
    prep = prepare(TrainConfig(csv=str(path), group="rec", label="activity", channels=("a",), time="t",
                               window=5, split_by="subject"))
    groups = [{prep.dataset.recordings[i].split_group for i in ids} for ids in prep.split_ids]
    assert [len(g) for g in groups] == [4, 1, 1] and len(set.union(*groups)) == 6
    assert prep.dataset.split_by == "subject"


def test_split_by_refuses_a_recording_spanning_two_values(tmp_path):
    path = _subjects_csv(tmp_path / "d.csv", ["s1", "s2", "s3", "s4"], spanning=True)
    result = _train(tmp_path, "--csv", str(path), *SPLIT_ARGS, "--split-by", "subject")
    assert result.exit_code == 2, result.output
    assert "recording 'r4' has rows with subject 's1' and 's2'" in result.output
    assert "Traceback" not in result.output


def test_split_by_refuses_fewer_than_three_values(tmp_path):
    path = _subjects_csv(tmp_path / "d.csv", ["s1", "s2"])
    result = _train(tmp_path, "--csv", str(path), *SPLIT_ARGS, "--split-by", "subject")
    assert result.exit_code == 2, result.output
    assert "only 2 distinct value(s) (s1, s2)" in result.output and "at least 3" in result.output


def test_split_by_unknown_column_and_builtin_dataset_are_refused(tmp_path):
    path = _subjects_csv(tmp_path / "d.csv", ["s1", "s2", "s3"])
    result = _train(tmp_path, "--csv", str(path), *SPLIT_ARGS, "--split-by", "person")
    assert result.exit_code == 2 and "--split-by: column 'person' not in" in result.output
    result = _train(tmp_path, "--dataset", "watch", "--split-by", "subject")
    assert result.exit_code == 2 and "--split-by COL applies to --csv" in result.output


def test_duplicate_column_names_are_refused(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("rec,acc_x,acc_y,acc_x,activity\n" + "".join(f"r{i},1,2,3,walk\n" for i in range(6)))
    result = _train(tmp_path, "--csv", str(path), "--group", "rec", "--label", "activity", "--channels", "acc_x")
    assert result.exit_code == 2, result.output
    assert "column 'acc_x' appears twice in the header row" in result.output


def test_csv_groups_recordings_orders_by_time_and_sorts_numeric_labels(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("id,t,v,w,y\n"
                    "b,1,1.5,0,10\n"
                    "a,2,0.2,1,2\n"
                    "a,0,0.0,1,2\n"
                    "a,1,0.1,1,10\n"
                    "b,0,1.0,0,10\n")
    ds = datasets.load(CsvSpec(path, group="id", label="y", channels=("w", "v"), time="t"))
    assert ds.labels == ("2", "10")  # numerically, not "10" < "2"
    assert [r.id for r in ds.recordings] == ["b", "a"]  # order of first appearance
    a = ds.recordings[1]
    np.testing.assert_array_equal(a.values, [[1, 0.0], [1, 0.1], [1, 0.2]])  # sorted by t, channels as asked
    assert a.labels.tolist() == [0, 1, 0]


def test_mackey_glass_finer_sample_step_samples_the_same_trajectory():
    coarse = datasets.mackey_glass(n_recordings=1, length=300)
    fine = datasets.mackey_glass(n_recordings=1, length=3000, sample_step=0.1)
    assert fine.recordings[0].values.shape == (3000, 1) and fine.sample_rate_hz == 10.0
    # The integration step does not change with the sampling: shared time points agree exactly.
    np.testing.assert_array_equal(fine.recordings[0].values[::10], coarse.recordings[0].values)
    assert coarse.sample_rate_hz == 1.0


def test_mackey_glass_refuses_a_step_off_the_integration_grid():
    with pytest.raises(TinyDistillError, match="multiple of 0.1"):
        datasets.mackey_glass(n_recordings=1, length=10, sample_step=0.05)
