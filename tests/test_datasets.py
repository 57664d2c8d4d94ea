"""`tinydistill datasets` and reading user CSVs."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from tinydistill.data import datasets
from tinydistill.cli import cli
from tinydistill.data.csvdata import CsvSpec


def test_datasets_command_lists_builtins_with_channels_and_provenance():
    result = CliRunner().invoke(cli, ["datasets"])
    assert result.exit_code == 0, result.output
    for name in ("basic-motions", "mackey-glass", "mnist1d"):
        assert name in result.output
    assert "acc_x, acc_y, acc_z, gyro_x, gyro_y, gyro_z" in result.output
    assert "UEA BasicMotions" in result.output and "tau=17" in result.output
    assert [d.name for d in datasets.list_datasets()] == ["basic-motions", "mackey-glass", "mnist1d"]


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
