"""`tinydistill search`: budget before training, the front and the picked run, a killed worker's trial
retried, and workers sharing one study (a file, and a real PostgreSQL server started here).

Trials are tiny (a slice of basic-motions, one window length, one epoch) so that each worker
spends its time on the machinery under test, not on training. A second worker is this pytest
process itself (TensorFlow already imported) beside one child process; the tests sync on the
study database's rows (trial states, heartbeats), never on sleeps.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REQUIRE_TOOLCHAINS, ROOT
from test_json_output import check
from tinydistill.cli import cli

# One window, half the windows of the data's default hop, one epoch: a trial is a budget, two short
# fits and two int8 conversions. A 1 s heartbeat (2 s grace) keeps the wait for a dead worker short.
TINY = ["--dataset", "basic-motions", "--windows", "32", "--hop", "16", "--epochs", "1", "--teacher-epochs", "1",
        "--heartbeat", "1"]
TIMEOUT = 600  # per child worker: generous for a shared machine


def _args(out: Path, *extra: str) -> list[str]:
    return ["search", *TINY, "--target", "cortex-m4", "--out", str(out), "--json", *extra]


def _search(out: Path, *extra: str) -> dict:
    """A worker in this process; its --json report."""
    result = CliRunner().invoke(cli, _args(out, *extra))
    assert result.exit_code == 0, (result.output, result.stderr)
    return check("search", result.stdout)


def _child(out: Path, *extra: str, stdout=subprocess.PIPE) -> subprocess.Popen:
    """A worker in a child process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.Popen([sys.executable, "-m", "tinydistill", *_args(out, *extra)], env=env, stdout=stdout,
                            stderr=subprocess.PIPE, text=True)


def _study(url: str, name: str = "search"):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.load_study(study_name=name, storage=url)


def _rows(url: str, sql: str) -> list:
    """Rows of `sql` on the study database, or [] while its worker has not created the tables yet."""
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        return []
    engine = sqlalchemy.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as con:
            return con.execute(sqlalchemy.text(sql)).fetchall()
    except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.ProgrammingError):  # no tables yet
        return []
    finally:
        engine.dispose()


def _wait_for(proc: subprocess.Popen, url: str, sql: str, what: str) -> None:
    """Poll `sql` until it returns a row; the child must stay alive meanwhile."""
    deadline = time.monotonic() + TIMEOUT
    while not _rows(url, sql):
        if proc.poll() is not None:
            pytest.fail(f"the worker ended before {what}: {proc.stderr.read()}")
        assert time.monotonic() < deadline, f"no {what} in {TIMEOUT} s"
        time.sleep(0.2)


def _stop(proc: subprocess.Popen) -> None:
    """A failed assertion leaves no worker behind."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_the_default_student_is_a_point_of_the_space():
    from tinydistill.search import space
    from tinydistill.training import models

    from tinydistill.training.train import TrainConfig

    ours = space.build_student(space.default_candidate(32, "classify"), (32, 6), "classify", 4)
    theirs = models.classify_student((32, 6), 4, 24, batch_norm=TrainConfig().batch_norm)
    assert [type(x).__name__ for x in ours.layers] == [type(x).__name__ for x in theirs.layers]
    assert ours.count_params() == theirs.count_params()
    strides = [[x.get_config().get("strides") for x in m.layers] for m in (ours, theirs)]
    assert strides[0] == strides[1]


@pytest.mark.parametrize("options, windows", [
    ({"dataset": "mackey-glass", "task": "forecast"}, (4, 8, 16)),  # 2 is too short: the longer ones
    ({"dataset": "basic-motions"}, (32, 16, 64)),  # 100-sample recordings: 128 does not fit
    ({"dataset": "japanese-vowels"}, (29, 14)),  # one padded 29-frame window per utterance: 58 does not fit
])
def test_the_default_windows_are_those_the_recordings_hold(tmp_path, options, windows):
    from tinydistill.search.run import _default_windows
    from tinydistill.search.teacher import DataCache
    from tinydistill.training.train import TrainConfig

    cache = DataCache(TrainConfig(**options), tmp_path, lambda _: None)
    assert _default_windows(cache.prepared().window, cache) == windows


def test_the_streamable_family_is_budgeted_per_hop(tmp_path):
    """A valid-padding candidate streams at the data's hop: its budget is one hop's work, as `budget` checks
    the run; the same shapes with same padding run the full window. A window too short for it is refused."""
    from tinydistill.errors import TinyDistillError
    from tinydistill.search import space, trial
    from tinydistill.search.teacher import DataCache
    from tinydistill.training.train import TrainConfig

    prep = DataCache(TrainConfig(dataset="basic-motions"), tmp_path, lambda _: None).prepared()
    reports = {}
    for padding in space.PADDINGS:
        p = space.default_candidate(prep.window, "classify") | {"padding": padding}
        student = space.build_student(p, prep.data["train"]["xs"].shape[1:], "classify", len(prep.classes))
        reports[padding] = trial.budget_of(student, prep, trial.Limits("cortex-m4"))
    assert reports["valid"].streaming and not reports["same"].streaming
    assert reports["valid"].latency_s < reports["same"].latency_s / 2  # a hop of 8 samples, not 32
    assert "valid" in space.describe(p) and space.streamable("classify") and not space.streamable("forecast")
    with pytest.raises(TinyDistillError, match="no output row"):
        space.build_student(p | {"depth": 3, "kernel_first": 9, "kernel": 5, "stride_first": 4}, (8, 6), "classify", 4)

def test_ties_on_the_validation_metric_go_to_the_default_then_the_lower_cross_entropy():
    # A saturated validation split: every trial at accuracy 1.0. Latency alone would pick trial 1.
    import optuna

    from tinydistill.search import space, study as studies

    default = space.default_candidate(32, "classify")
    other = default | {"width": 8}
    study = optuna.create_study(directions=["maximize", "minimize", "minimize"])
    for values, ce, params in (((1.0, 2e-3, 12_000), 0.004, default), ((1.0, 5e-4, 7_000), 0.09, other),
                               ((1.0, 8e-4, 9_000), 0.001, other), ((0.99, 1e-4, 6_000), 0.0001, other)):
        study.add_trial(optuna.trial.create_trial(
            values=list(values), params=params, distributions=_distributions(params),
            user_attrs={"val_float": {"accuracy": values[0], "cross_entropy": ce}}))
    assert studies.best_feasible(study, default).number == 0  # the default wins a tie
    assert studies.best_feasible(study).number == 2  # without one: the lower cross-entropy
    study.add_trial(optuna.trial.create_trial(values=[1.0 + 1e-9, 1e-3, 9_000], params=other,
                                              distributions=_distributions(other)))
    assert studies.best_feasible(study, default).number == 4  # better on validation: the default is left
    # without a cross-entropy (a forecaster), ties still go to the lower latency
    plain = optuna.create_study(directions=["minimize", "minimize", "minimize"])
    for values in ((0.3, 2e-3, 12_000), (0.3, 5e-4, 7_000), (0.4, 1e-4, 6_000)):
        plain.add_trial(optuna.trial.create_trial(values=list(values)))
    assert studies.best_feasible(plain).number == 1


def _distributions(params: dict) -> dict:
    import optuna

    return {k: optuna.distributions.CategoricalDistribution([v]) for k, v in params.items()}


@pytest.mark.parametrize("args, message", [
    ([], "give --trials N and/or --time-limit"),
    (["--trials", "2", "--task", "anomaly", "--normal-class", "standing"], "classify and forecast"),
    (["--trials", "2", "--windows", "32,x"], "--windows takes integers"),
    (["--trials", "2", "--max-flash", "lots"], "lots"),
    (["--trials", "2", "--target", "esp8285"], "esp8285"),
])
def test_bad_search_options_exit_2_before_any_work(tmp_path, args, message):
    result = CliRunner().invoke(cli, ["search", "--dataset", "basic-motions", "--target", "cortex-m4",
                                      "--out", str(tmp_path / "s"), *args])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("args, message", [
    (["--trials", "1", "--storage", "nosuchdb://x/y"], "cannot open the study storage nosuchdb://x/y"),
    (["--trials", "1", "--storage", "postgresql+psycopg2://u@/db?host=/nonexistent-td"],
     "cannot open the study storage"),
    (["--trials", "1", "--teacher-from", "/nonexistent-td-run"], "--teacher-from /nonexistent-td-run"),
])
def test_bad_storage_or_teacher_exits_2_without_a_traceback(tmp_path, args, message):
    result = CliRunner().invoke(cli, ["search", "--dataset", "basic-motions", "--windows", "32", "--target",
                                      "cortex-m4", "--out", str(tmp_path / "s"), *args])
    assert result.exit_code == 2, (result.output, result.exception)
    assert message in result.output and "Traceback" not in result.output
    assert not list((tmp_path / "s").glob("teachers/*"))


def test_over_budget_candidates_are_pruned_before_any_training(tmp_path):
    from tinydistill.errors import CheckFailed
    from tinydistill.search import SearchConfig, run_search
    from tinydistill.training.train import TrainConfig

    config = SearchConfig(TrainConfig(dataset="basic-motions", hop=16, epochs=1, teacher_epochs=1),
                          target="cortex-m0plus", out=tmp_path / "s", max_flash="2K", trials=2, windows=(32,),
                          progress=False)
    with pytest.raises(CheckFailed, match="no candidate fits cortex-m0plus"):
        run_search(config)
    study = _study(f"sqlite:///{tmp_path / 's' / 'study.db'}")
    trials = study.get_trials()
    assert [t.state.name for t in trials] == ["PRUNED"] * 2
    for t in trials:  # the budget of the untrained int8 model: flash over 2 KB, nothing else over
        assert t.user_attrs["pruned_by"] == "budget" and t.user_attrs["budget"]["over"] == ["flash"]
        assert t.user_attrs["budget"]["flash"] > 2048
    assert not (tmp_path / "s" / "teachers").exists()  # not even the teacher trained
    assert not (tmp_path / "s" / "fits").exists()


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """A one-trial search (the default student) under a 10 ms latency limit: (folder, --json report)."""
    out = tmp_path_factory.mktemp("search") / "s"
    return out, _search(out, "--max-latency", "10ms", "--trials", "1")


@pytest.mark.slow
def test_search_writes_the_front_and_a_run_that_budget_takes(searched):
    out, first = searched
    assert first["trials"]["complete"] == 1 and first["ran_here"] == [0]
    assert first["front"] and first["picked"]["trial"] == 0 and first["front"][0]["trial"] == 0
    assert all(r["latency_s"] <= 10e-3 for r in first["front"])
    assert json.loads((out / "front.json").read_text())["front"] == first["front"]
    # The run directory is a normal one: budget takes it as is, and its figures are the trial's.
    run = Path(first["run"])
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["search"]["trial"] == 0
    assert metrics["student_int8"]["accuracy"] == first["picked"]["test"]["int8"]
    b = check("budget", CliRunner().invoke(cli, ["budget", str(run), "--target", "cortex-m4", "--json"]).stdout)
    assert b["latency"]["seconds"] == pytest.approx(first["picked"]["latency_s"])
    assert b["flash"]["total"] == first["picked"]["flash"]
    # Its teacher is the study's, taken through --teacher-from (trained once, kept as a teacher-only run).
    teachers = [p for p in (out / "teachers").iterdir() if p.is_dir()]
    assert len(teachers) == 1 and (teachers[0] / "teacher.keras").is_file()
    config = json.loads((run / "config.json").read_text())
    assert config["teacher_from"] == str(teachers[0]) == metrics["training"]["teacher"]["reused_from"]


@pytest.mark.slow
def test_a_killed_worker_is_detected_and_its_trial_retried(searched, tmp_path):
    out = tmp_path / "s"
    shutil.copytree(searched[0], out)  # a study with one finished trial, and its teacher
    url = f"sqlite:///{out / 'study.db'}"
    finished = {t.number: t.values for t in _study(url).get_trials() if t.state.name == "COMPLETE"}
    assert list(finished) == [0]
    worker = _child(out, "--max-latency", "10ms", "--trials", "2", stdout=subprocess.DEVNULL)
    try:  # kill -9 once trial 1 has beaten its heartbeat and its objective has started
        _wait_for(worker, url, "SELECT 1 FROM trials t JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
                  "JOIN trial_user_attributes a ON a.trial_id = t.trial_id "
                  "WHERE t.number = 1 AND a.key = 'candidate'", "trial 1 running")
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finally:
        _stop(worker)
    assert {t.number: t.state.name for t in _study(url).get_trials()}[1] == "RUNNING"  # what the dead worker left
    # Started again right away: it waits for the stale heartbeat, fails trial 1 and runs its retry.
    report = _search(out, "--max-latency", "10ms", "--trials", "2")
    trials = {t.number: t for t in _study(url).get_trials()}
    assert trials[1].state.name == "FAIL"
    retries = [t for t in trials.values() if t.system_attrs.get("failed_trial") == 1]
    assert len(retries) == 1 and retries[0].state.name in ("COMPLETE", "PRUNED")
    assert retries[0].params == trials[1].params and report["ran_here"] == [retries[0].number]
    assert {n: trials[n].values for n in finished} == finished  # no finished trial lost or changed
    assert not [t for t in trials.values() if t.state.name in ("RUNNING", "WAITING")]
    assert report["trials"]["complete"] + report["trials"]["pruned"] == 2 and report["trials"]["fail"] == 1


@pytest.mark.slow
def test_a_search_for_another_board_reuses_the_candidates_its_cache_holds(searched, tmp_path):
    first_out, first = searched
    cache = tmp_path / "cache"
    shutil.copytree(first_out, cache)
    before = {p.name: (p / "record.json").read_bytes() for p in (cache / "fits").iterdir() if p.is_dir()}
    assert len(before) == 1  # the default student, the first search's only trial
    out = tmp_path / "m0"
    result = CliRunner().invoke(cli, ["search", *TINY, "--target", "cortex-m0plus", "--max-latency", "100ms",
                                      "--trials", "1", "--out", str(out), "--cache", str(cache), "--progress", "--json"])
    assert result.exit_code == 0, result.output
    report = check("search", result.stdout)
    assert "trained before, read from" in result.stderr and "training (once" not in result.stderr
    # Nothing trained again: the same entry, untouched, and the same students, so the same scores.
    assert {p.name: (p / "record.json").read_bytes() for p in (cache / "fits").iterdir() if p.is_dir()} == before
    assert not (out / "fits").exists() and not (out / "teachers").exists()
    assert report["picked"]["val"] == first["picked"]["val"] and report["picked"]["test"] == first["picked"]["test"]
    assert report["picked"]["latency_s"] != first["picked"]["latency_s"]  # budgeted on its own board


@pytest.mark.slow
def test_pick_of_an_unknown_trial_exits_2(searched, tmp_path):
    out = tmp_path / "s"
    shutil.copytree(searched[0], out)
    result = CliRunner().invoke(cli, _args(out, "--max-latency", "10ms", "--pick", "7"))
    assert result.exit_code == 2 and "--pick 7: the study has no trial 7" in result.output
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- two workers on one study


def _two_workers(out: Path, url: str, *extra: str) -> list[dict]:
    """A child worker creates the study and starts its first trial; then this process joins as the second."""
    child = _child(out, "--trials", "4", *extra)
    try:
        _wait_for(child, url, "SELECT 1 FROM trials WHERE number = 0 AND state = 'RUNNING'", "trial 0 running")
        here = _search(out, "--trials", "4", *extra)
        stdout, stderr = child.communicate(timeout=TIMEOUT)
    finally:
        _stop(child)
    assert child.returncode == 0, stderr
    return [check("search", stdout), here]


def _check_shared(study, results: list[dict]) -> None:
    from tinydistill.search import space

    trials = study.get_trials()
    finished = [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert len(finished) == 4 and not [t for t in trials if t.state.name in ("RUNNING", "WAITING", "FAIL")]
    mine = [set(r["ran_here"]) for r in results]
    assert mine[0] and mine[1] and not mine[0] & mine[1]  # both worked; no trial ran on both
    assert mine[0] | mine[1] == {t.number for t in finished}
    assert len({t.user_attrs["worker"] for t in finished}) == 2
    # The default student was enqueued once and run once, by the worker that created the study.
    default = space.default_candidate(32, "classify")
    assert [t.number for t in trials if t.params == default] == [0] and 0 in mine[0]
    # Both waited for the other's last trial: they report the same study and pick the same trial.
    assert results[0]["trials"] == results[1]["trials"] and results[0]["picked"] == results[1]["picked"]


@pytest.mark.slow
def test_two_workers_share_a_study_file(tmp_path):
    out = tmp_path / "s"
    url = f"sqlite:///{out / 'study.db'}"
    results = _two_workers(out, url)
    _check_shared(_study(url), results)
    assert len([p for p in (out / "teachers").iterdir() if p.is_dir()]) == 1  # trained once, by one worker


# ---------------------------------------------------------------- PostgreSQL, a real server


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


@pytest.fixture
def postgres_url():
    """A PostgreSQL server of its own on a Unix socket in a temporary folder; its URL."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        message = "missing PostgreSQL's initdb/pg_ctl (run `make setup`: apt package postgresql)"
        if REQUIRE_TOOLCHAINS:
            pytest.fail(f"TD_REQUIRE_TOOLCHAINS=1 and {message}")
        pytest.skip(message)
    # initdb and pg_ctl refuse to run as root: as root (CI), they run as the postgres user.
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = Path(tempfile.mkdtemp(prefix="td-pg-"))
    if as_pg:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
    data = folder / "data"
    pg_ctl = [*as_pg, str(bin_dir / "pg_ctl"), "-D", str(data)]
    subprocess.run([*as_pg, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"],
                   check=True, capture_output=True)
    subprocess.run([*pg_ctl, "-o", f"-k {folder} -c listen_addresses='' -F", "-l", str(folder / "log"), "-w",
                    "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg2://postgres@/postgres?host={folder}"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.toolchain
def test_two_workers_share_a_postgresql_study(postgres_url, searched, tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    shutil.copytree(searched[0] / "teachers", out / "teachers")  # the same data: the teacher is reused
    results = _two_workers(out, postgres_url, "--storage", postgres_url, "--study", "bm")
    assert all(r["storage"].startswith("postgresql") for r in results)
    _check_shared(_study(postgres_url, "bm"), results)
    assert not (out / "study.db").exists()  # the study lives in the server
