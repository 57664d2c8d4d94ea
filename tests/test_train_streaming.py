"""`train --streaming`: the streamable student family trains, quantizes and runs incrementally in C,
every window of the recorded test stream equal to BUILTIN_REF on that whole window."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import need_tools

from tinydistill.errors import TinyDistillError
from tinydistill.training.train import TrainConfig


def test_streaming_is_an_option_of_train():
    from tinydistill.cli import cli

    result = CliRunner().invoke(cli, ["train", "--help"])
    assert result.exit_code == 0 and "--streaming" in result.output


def test_streaming_without_a_family_for_the_task_is_refused():
    with pytest.raises(TinyDistillError, match="--streaming"):
        TrainConfig(dataset="mackey-glass", task="forecast", streaming=True).validate()


@pytest.mark.slow
def test_streaming_student_trains_and_streams_bit_exact(tmp_path):
    need_tools("gcc")
    from tinydistill.data.stream_csv import load_stream
    from tinydistill.deploy.quantize import ensure_int8
    from tinydistill.deploy.streaming import quantize, spec_from_run
    from tinydistill.engine import compile
    from tinydistill.engine.stream_check import check_stream
    from tinydistill.engine.streamability import plan_stream
    from tinydistill.rundir import open_run
    from tinydistill.training.train import train

    out = tmp_path / "run"
    train(TrainConfig(dataset="basic-motions", streaming=True, epochs=3, teacher_epochs=1, alpha=0.9,
                      temperature=4.0, seed=0), out, progress=False)
    run = open_run(out)
    assert run.config["hyperparameters"]["streaming"] is True
    student = run.load_model("student")
    assert all(getattr(layer, "padding", "valid") == "valid" for layer in student.layers)
    tflite = ensure_int8(run)
    window = run.config["window"]
    plan = plan_stream(compile(tflite), window // 8)
    assert plan.macs_per_hop() * 4 < sum(c.macs for c in compile(tflite).calls)
    spec = spec_from_run(run, tflite)
    stream = load_stream(out / "test_stream.csv", spec.channels)
    q = quantize(stream.values, spec.scale, spec.offset)
    starts = [*np.flatnonzero(stream.starts), len(q)]
    recordings = [q[a:b] for a, b in zip(starts[:-1], starts[1:])][:4]
    report = check_stream(tflite.read_bytes(), window // 8, recordings, build_dir=tmp_path / "c")
    assert report.n_total > 4 and report.ok, report.summary()
