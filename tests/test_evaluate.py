"""`evaluate` on recordings collected later: windowed as in training, float and int8 metrics."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from tinydistill import scoring as metrics
from tinydistill.cli import cli
from tinydistill.evaluate import evaluate_run
from tinydistill.scoring import confusion_matrix, task_metrics


def test_confusion_matrix_and_metrics_by_hand():
    assert confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2], 3).tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    assert task_metrics("classify", np.zeros((3, 2, 1)), np.array([0, 1, 1]), probs) == {"accuracy": 2 / 3}
    x = np.zeros((4, 2, 1))
    recon = np.array([0.0, 0.1, 1.0, 2.0])[:, None, None] * np.ones((4, 2, 1))
    got = task_metrics("anomaly", x, np.array([0, 0, 1, 1]), recon, threshold=0.5)
    assert got == {"auc": 1.0, "accuracy": 1.0}
    assert metrics.auc(np.array([0, 1]), np.array([0.5, 0.5])) == 0.5


@pytest.mark.slow
def test_test_stream_reproduces_the_test_split(basic_motions_int8):
    """The run's own test recordings, given as a CSV, window to exactly the test split."""
    run, report = basic_motions_int8
    ev = evaluate_run(run, csv=[str(run / "test_stream.csv")])
    assert ev.float_metrics["accuracy"] == pytest.approx(report.float_metrics["accuracy"])
    assert ev.int8_metrics["accuracy"] == pytest.approx(report.int8_metrics["accuracy"])
    assert ev.float_confusion.sum() == ev.windows == len(np.load(run / "splits.npz")["y_test"])
    assert list(ev.labels) == json.loads((run / "config.json").read_text())["labels"]


def as_json_windows(result) -> int:
    return json.loads(result.output)["windows"]


@pytest.mark.slow
def test_cli(basic_motions_int8):
    run = str(basic_motions_int8[0])
    runner = CliRunner()
    ok = runner.invoke(cli, ["evaluate", run, "--csv", f"{run}/test_stream.csv"])
    assert ok.exit_code == 0, ok.output
    assert "confusion matrix (int8" in ok.output and "walking" in ok.output
    as_json = runner.invoke(cli, ["evaluate", run, "--csv", f"{run}/test_stream.csv", "--json"])
    assert json.loads(as_json.output)["int8"]["accuracy"] > 0.5
    whole = runner.invoke(cli, ["evaluate", run, "--dataset", "basic-motions", "--split", "all", "--json"])
    assert whole.exit_code == 0 and json.loads(whole.output)["windows"] > as_json_windows(as_json)
    # The run's own dataset is scored on its test split by default: the test_stream.csv windows.
    test = runner.invoke(cli, ["evaluate", run, "--dataset", "basic-motions", "--json"])
    assert test.exit_code == 0 and json.loads(test.output)["split"] == "test"
    assert json.loads(test.output)["windows"] == as_json_windows(as_json)
    assert json.loads(test.output)["int8"] == json.loads(as_json.output)["int8"]
    text = runner.invoke(cli, ["evaluate", run, "--dataset", "basic-motions", "--split", "train"])
    assert text.exit_code == 0 and "the train split of basic-motions" in text.output and "precision" in text.output
    other = runner.invoke(cli, ["evaluate", run, "--dataset", "watch", "--split", "test"])
    assert other.exit_code == 2 and "--split all" in other.output
    neither = runner.invoke(cli, ["evaluate", run])
    assert neither.exit_code == 2 and "--csv" in neither.output
