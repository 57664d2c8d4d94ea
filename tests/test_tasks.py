"""The task registry, the typed run configuration, and who may write student_int8.tflite."""

import json
import shutil

import pytest
from click.testing import CliRunner

from tinydistill.cli import cli
from tinydistill.errors import TinyDistillError
from tinydistill.rundir import DEFAULT_SAMPLE_RATE_HZ, open_run
from tinydistill.tasks import TASKS, get_task
from tinydistill.resources import templates_dir


def test_registry_is_complete():
    assert list(TASKS) == ["classify", "forecast", "anomaly"]
    for task in TASKS.values():
        assert task.primary in task.higher_is_better
        assert set(task.table) <= set(task.higher_is_better)
        assert task.max_drop > 0 and task.drop_unit
        assert task.decision in ("argmax", "value", "threshold")
    # the firmware's values: a C ABI that must not move
    assert {t.c_macro: t.c_value for t in TASKS.values()} == {
        "TD_TASK_CLASSIFY": 0, "TD_TASK_FORECAST": 1, "TD_TASK_ANOMALY": 2}
    assert get_task("anomaly").output_labels(["standing", "walking"]) == ("normal", "anomaly")
    assert get_task("forecast").int8_drop(0.10, 0.11) == pytest.approx(10.0)
    assert get_task("classify").int8_drop(0.90, 0.88) == pytest.approx(2.0)
    with pytest.raises(TinyDistillError, match="classify, forecast, anomaly"):
        get_task("regress")
    train_task = next(p for p in cli.commands["train"].params if p.name == "task")
    assert list(train_task.type.choices) == list(TASKS)


def test_the_app_compares_task_macros_never_numbers():
    from tinydistill.deploy.export import stream_config_header
    from tinydistill.deploy.streaming import StreamSpec

    app = (templates_dir() / "project" / "app.c.j2").read_text()
    assert "TD_STREAM_TASK == TD_TASK_CLASSIFY" in app and "TD_STREAM_TASK == TD_TASK_ANOMALY" in app
    assert not any(f"TD_STREAM_TASK {op} {n}" in app for op in ("==", "!=") for n in range(3))
    spec = StreamSpec(task="forecast", channels=("x",), window=4, hop=1, sample_rate_hz=1.0, labels=("-",),
                      scale=(1.0,), offset=(0.0,), input_scale=0.5, input_zero_point=0, output_scale=0.5,
                      output_zero_point=0, outputs=1)
    header = stream_config_header(spec, "run")
    for macro, value in (("TD_TASK_CLASSIFY", 0), ("TD_TASK_FORECAST", 1), ("TD_TASK_ANOMALY", 2)):
        assert f"#define {macro} {value}\n" in header
    assert "#define TD_STREAM_TASK TD_TASK_FORECAST\n" in header


def _config(**changes):
    config = {"task": "classify", "channels": ["a", "b"], "student_channels": ["a"], "window": 8, "hop": 2,
              "labels": ["x", "y"]}
    return {k: v for k, v in {**config, **changes}.items() if v is not None}


def test_run_config_is_typed_with_one_sample_rate_default(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps(_config()))
    cfg = open_run(tmp_path).run_config
    assert cfg.window == 8 and cfg.student_channels == ("a",) and cfg.labels == ("x", "y")
    assert cfg.sample_rate_hz == DEFAULT_SAMPLE_RATE_HZ and cfg.threshold is None
    (tmp_path / "config.json").write_text(json.dumps(_config(task="forecast")))
    assert open_run(tmp_path).run_config.predict_channel == "a"  # the first student channel


@pytest.mark.parametrize("changes, key", [({"window": "8"}, "window"), ({"hop": 0}, "hop"), ({"task": "sort"}, "task"),
                                          ({"student_channels": None}, "student_channels"),
                                          ({"sample_rate_hz": -5}, "sample_rate_hz")])
def test_a_malformed_config_is_refused_naming_the_key(tmp_path, changes, key):
    (tmp_path / "config.json").write_text(json.dumps(_config(**changes)))
    with pytest.raises(TinyDistillError, match=f"'{key}'"):
        open_run(tmp_path).run_config
    result = CliRunner().invoke(cli, ["budget", str(tmp_path), "--target", "esp32"])
    assert result.exit_code == 2 and key in result.output and "Traceback" not in result.output


def test_config_that_is_not_json_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{task: classify")
    result = CliRunner().invoke(cli, ["budget", str(tmp_path), "--target", "esp32"])
    assert result.exit_code == 2 and "not valid JSON" in result.output


@pytest.mark.slow
def test_library_readers_refuse_an_unquantized_run(basic_motions_run, tmp_path):
    from tinydistill.deploy.budget import check_budget
    from tinydistill.deploy.export import export_project
    from tinydistill.evaluate import evaluate_run

    run = tmp_path / "run"
    shutil.copytree(basic_motions_run, run, ignore=shutil.ignore_patterns("student_int8.tflite"))
    for call in (lambda: check_budget(run, "esp32"), lambda: evaluate_run(run, csv=[str(run / "test_stream.csv")]),
                 lambda: export_project(run, "esp32", tmp_path / "fw", force=True)):
        with pytest.raises(TinyDistillError, match=f"tinydistill quantize {run}"):
            call()
    assert not (run / "student_int8.tflite").exists() and not (tmp_path / "fw").exists()


@pytest.mark.slow
def test_train_target_warns_without_writing_the_int8_model(tmp_path, capsys):
    from tinydistill.training.train import TrainConfig, train

    config = TrainConfig(dataset="basic-motions", epochs=1, teacher_epochs=1, target="cortex-m4", max_ram="256")
    run = train(config, tmp_path / "run", progress=False)
    assert "will not fit" in capsys.readouterr().err
    assert not run.file("student_int8.tflite").exists()
