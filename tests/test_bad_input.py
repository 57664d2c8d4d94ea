"""Every bad input gives exit 2, a message saying what is wrong and what to do, no traceback,
and no run directory (not even a half-written one)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from tinydistill.cli import cli


def _csv(path, rows=None, n_recs=6, n=40, header="rec,t,a,b,activity"):
    rng = np.random.default_rng(0)
    lines = [header]
    for r in range(n_recs):
        for t in range(n):
            lines.append(f"r{r},{t},{rng.normal():.4f},{rng.normal():.4f},{'walk' if r % 2 else 'rest'}")
    for index, line in (rows or {}).items():
        lines[index] = line
    path.write_text("\n".join(lines) + "\n")
    return path


def _train(tmp_path, *args):
    out = tmp_path / "runs" / "out"
    result = CliRunner().invoke(cli, ["train", *args, "--out", str(out), "--epochs", "1", "--teacher-epochs", "1"])
    assert result.exit_code == 2, result.output
    assert "Error:" in result.output and "Traceback" not in result.output
    assert not out.exists()
    if (tmp_path / "runs").exists():
        assert list((tmp_path / "runs").iterdir()) == []  # no .partial directory either
    return result.output


CSV_ARGS = ["--group", "rec", "--label", "activity", "--channels", "a,b", "--time", "t", "--window", "8"]


def test_missing_file(tmp_path):
    out = _train(tmp_path, "--csv", str(tmp_path / "nope.csv"), *CSV_ARGS)
    assert "nope.csv not found" in out


def test_non_numeric_cell(tmp_path):
    path = _csv(tmp_path / "d.csv", {5: "r0,4,abc,0.1,rest"})
    out = _train(tmp_path, "--csv", str(path), *CSV_ARGS)
    assert "row 6, column 'a' holds 'abc', not a finite number" in out


@pytest.mark.parametrize("cell", ["", "nan", "NaN", "inf"])
def test_nan_or_empty_cell(tmp_path, cell):
    path = _csv(tmp_path / "d.csv", {7: f"r0,6,0.5,{cell},rest"})
    out = _train(tmp_path, "--csv", str(path), *CSV_ARGS)
    assert "row 8, column 'b'" in out and "fill or drop" in out


def test_unknown_channel(tmp_path):
    path = _csv(tmp_path / "d.csv")
    out = _train(tmp_path, "--csv", str(path), "--group", "rec", "--label", "activity", "--channels", "a,zz")
    assert "--channels: column 'zz' not in" in out and "its columns are rec, t, a, b, activity" in out


def test_unknown_label_column(tmp_path):
    path = _csv(tmp_path / "d.csv")
    out = _train(tmp_path, "--csv", str(path), "--group", "rec", "--label", "klass", "--channels", "a,b")
    assert "--label: column 'klass' not in" in out


def test_unknown_builtin_channel(tmp_path):
    out = _train(tmp_path, "--dataset", "basic-motions", "--privileged", "magnet_x")
    assert "magnet_x" in out and "acc_x" in out


def test_recordings_shorter_than_the_window(tmp_path):
    path = _csv(tmp_path / "d.csv", n=6)
    out = _train(tmp_path, "--csv", str(path), *CSV_ARGS)
    assert "has 6 samples, fewer than --window 8" in out and "smaller --window" in out


def test_single_class_label(tmp_path):
    path = tmp_path / "d.csv"
    _csv(path)
    path.write_text(path.read_text().replace("walk", "rest"))
    out = _train(tmp_path, "--csv", str(path), *CSV_ARGS)
    assert "single class (rest)" in out


@pytest.mark.parametrize("args, message", [
    (["--dataset", "basic-motions", "--csv", "x.csv"], "exactly one of --dataset NAME or --csv FILE"),
    ([], "exactly one of --dataset NAME or --csv FILE"),
    (["--csv", "x.csv", "--channels", "a"], "--csv needs --group"),
    (["--dataset", "basic-motions", "--alpha", "1.5"], "--alpha must be in [0, 1]"),
    (["--dataset", "basic-motions", "--temperature", "0"], "--temperature must be positive"),
    (["--dataset", "basic-motions", "--normal-class", "standing"], "--normal-class only applies to --task anomaly"),
    (["--dataset", "basic-motions", "--task", "anomaly"], "needs --normal-class"),
    (["--dataset", "basic-motions", "--task", "anomaly", "--normal-class", "sitting"], "'sitting' is not a label"),
    (["--dataset", "basic-motions", "--task", "anomaly", "--normal-class", "standing", "--privileged-time"],
     "--privileged-time needs a target"),
    (["--dataset", "basic-motions", "--privileged", "acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z"],
     "the student needs at least one channel"),
    (["--dataset", "basic-motions", "--window", "1"], "--window must be an integer >= 2"),
    (["--dataset", "no-such-set"], "unknown dataset 'no-such-set'"),
])
def test_contradictory_or_invalid_options(tmp_path, args, message):
    assert message in _train(tmp_path, *args)


def test_bad_toml_config(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("dataset = [unclosed\n")
    assert "is not valid TOML" in _train(tmp_path, "--config", str(cfg))
    assert "config file" in _train(tmp_path, "--config", str(tmp_path / "missing.toml"))


def test_existing_run_directory_is_not_overwritten(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["train", "--dataset", "basic-motions", "--out", str(out)])
    assert result.exit_code == 2 and "--overwrite" in result.output
    assert (out / "keep.txt").read_text() == "mine"


def test_real_process_exits_2_without_traceback(tmp_path):
    path = _csv(tmp_path / "d.csv", {3: "r0,2,1.0,oops,rest"})
    result = subprocess.run([sys.executable, "-m", "tinydistill", "train", "--csv", str(path), *CSV_ARGS,
                             "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "holds 'oops'" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("line, message", [
    ('alpha = "high"', "option alpha = 'high' should be float"),
    ("window = 2.5", "option window = 2.5 should be int"),
    ("privileged = [1, 2]", "should list column names"),
])
def test_wrongly_typed_toml_values(tmp_path, line, message):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'dataset = "basic-motions"\n{line}\n')
    assert message in _train(tmp_path, "--config", str(cfg))
