"""`tinydistill search`: budget before training, the front and the picked run, a killed worker's trial
retried, and workers sharing one study (a file, and a real PostgreSQL server started here).

Trials are tiny (one epoch, one window length) so that each worker spends its time on the
machinery under test, not on training.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import sqlite3
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

# One window, one epoch: a trial is a budget, two short fits and two int8 conversions.
TINY = ["--dataset", "basic-motions", "--windows", "32", "--epochs", "1", "--teacher-epochs", "1"]


def _worker(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tinydistill", "search", *TINY, "--target", "cortex-m4", "--out", str(out),
            "--json", *extra]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}


def _study(url: str, name: str = "search"):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.load_study(study_name=name, storage=url)


def _states(study) -> dict:
    return {t.number: t.state.name for t in study.get_trials(deepcopy=False)}


def _sqlite_states(db: Path) -> dict:
    """Trial number -> state, read straight from an Optuna SQLite file (cheap enough to poll)."""
    if not db.is_file():
        return {}
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
            return dict(con.execute("SELECT number, state FROM trials").fetchall())
    except sqlite3.OperationalError:  # the worker is still creating the tables
        return {}


def test_the_default_student_is_a_point_of_the_space():
    from tinydistill.search import space
    from tinydistill.training import models

    ours = space.build_student(space.default_candidate(32), (32, 6), "classify", 4)
    theirs = models.classify_student((32, 6), 4, 24)
    assert [type(x).__name__ for x in ours.layers] == [type(x).__name__ for x in theirs.layers]
    assert ours.count_params() == theirs.count_params()
    assert [x.get_config().get("strides") for x in ours.layers] == [x.get_config().get("strides") for x in theirs.layers]


@pytest.mark.parametrize("args, message", [
    ([], "give --trials N and/or --time-limit"),
    (["--trials", "2", "--task", "anomaly", "--normal-class", "standing"], "classify and forecast"),
    (["--trials", "2", "--windows", "32,x"], "--windows takes integers"),
    (["--trials", "2", "--max-flash", "lots"], "lots"),
])
def test_bad_search_options_exit_2_before_any_work(tmp_path, args, message):
    result = CliRunner().invoke(cli, ["search", "--dataset", "basic-motions", "--target", "cortex-m4",
                                      "--out", str(tmp_path / "s"), *args])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "s").exists()


def test_over_budget_candidates_are_pruned_before_any_training(tmp_path):
    from tinydistill.errors import CheckFailed
    from tinydistill.search import SearchConfig, run_search
    from tinydistill.training.train import TrainConfig

    config = SearchConfig(TrainConfig(dataset="basic-motions", epochs=1, teacher_epochs=1), target="cortex-m0plus",
                          out=tmp_path / "s", max_flash="2K", trials=3, windows=(32,), progress=False)
    with pytest.raises(CheckFailed, match="no candidate fits cortex-m0plus"):
        run_search(config)
    study = _study(f"sqlite:///{tmp_path / 's' / 'study.db'}")
    trials = study.get_trials()
    assert [t.state.name for t in trials] == ["PRUNED"] * 3
    for t in trials:  # the budget of the untrained int8 model: flash over 2 KB, nothing else over
        assert t.user_attrs["pruned_by"] == "budget" and t.user_attrs["budget"]["over"] == ["flash"]
        assert t.user_attrs["budget"]["flash"] > 2048
    assert not list((tmp_path / "s").glob("teachers/*.keras"))  # not even the teacher trained
    assert not (tmp_path / "s" / "trials").exists()


@pytest.mark.slow
def test_search_writes_the_front_and_a_run_that_budget_takes(tmp_path):
    out = tmp_path / "s"
    args = ["search", *TINY, "--target", "cortex-m4", "--max-latency", "10ms", "--trials", "2", "--out", str(out),
            "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, (result.output, result.stderr)
    first = check("search", result.stdout)
    assert first["trials"]["complete"] + first["trials"]["pruned"] == 2 and first["ran_here"] == [0, 1]
    assert first["front"] and first["picked"]["trial"] in {r["trial"] for r in first["front"]}
    assert all(r["latency_s"] <= 10e-3 for r in first["front"])
    assert json.loads((out / "front.json").read_text())["front"] == first["front"]
    assert "Pareto front" in result.stderr and "picked trial" in result.stderr
    # The run directory is a normal one: budget takes it as is, and its figures are the trial's.
    run = first["run"]
    metrics = json.loads(Path(run, "metrics.json").read_text())
    assert metrics["search"]["trial"] == first["picked"]["trial"]
    assert metrics["student_int8"]["accuracy"] == first["picked"]["test"]["int8"]
    b = check("budget", CliRunner().invoke(cli, ["budget", run, "--target", "cortex-m4", "--json"]).stdout)
    assert b["latency"]["seconds"] == pytest.approx(first["picked"]["latency_s"])
    assert b["flash"]["total"] == first["picked"]["flash"]
    # Running again continues the same study: the two finished trials are kept, one more runs.
    before = [(t.state, t.values) for t in _study(f"sqlite:///{out / 'study.db'}").get_trials()]
    result = CliRunner().invoke(cli, [*args[:-5], "--trials", "3", "--out", str(out), "--json"])
    assert result.exit_code == 0, (result.output, result.stderr)
    again = check("search", result.stdout)
    assert again["ran_here"] == [2] and sum(again["trials"][k] for k in ("complete", "pruned")) == 3
    after = [(t.state, t.values) for t in _study(f"sqlite:///{out / 'study.db'}").get_trials()]
    assert after[:2] == before
    assert len(list((out / "teachers").glob("*.keras"))) == 1  # one window: one teacher, trained once


@pytest.mark.slow
def test_a_killed_worker_is_detected_and_its_trial_retried(tmp_path):
    out = tmp_path / "s"
    url = f"sqlite:///{out / 'study.db'}"
    cmd = _worker(out, "--trials", "3", "--heartbeat", "2")
    first = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed, finished = None, None
    deadline = time.monotonic() + 1800  # generous: CI machines are shared
    try:
        while killed is None:  # kill -9 in the middle of the second trial, once the first has finished
            assert first.poll() is None, f"the worker ended before it could be killed: {first.stderr.read()}"
            assert time.monotonic() < deadline, "no second trial started in time"
            time.sleep(0.3)
            states = _sqlite_states(out / "study.db")
            if states.get(0) == "COMPLETE" and states.get(1) == "RUNNING":
                first.send_signal(signal.SIGKILL)
                first.wait()
                killed = 1
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    study = _study(url)
    assert _states(study)[killed] == "RUNNING"  # what the dead worker left behind
    finished = {t.number: t.values for t in study.get_trials() if t.state.name == "COMPLETE"}
    time.sleep(5)  # more than the grace period (two heartbeats)
    second = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=1800)
    assert second.returncode == 0, second.stderr
    report = check("search", second.stdout)
    study = _study(url)
    trials = {t.number: t for t in study.get_trials()}
    assert trials[killed].state.name == "FAIL"
    retries = [t for t in trials.values() if t.system_attrs.get("failed_trial") == killed]
    assert len(retries) == 1 and retries[0].state.name in ("COMPLETE", "PRUNED")
    assert retries[0].params == trials[killed].params and retries[0].number in report["ran_here"]
    assert {n: trials[n].values for n in finished} == finished  # no finished trial lost or changed
    assert not [t for t in trials.values() if t.state.name in ("RUNNING", "WAITING")]
    assert report["trials"]["complete"] + report["trials"]["pruned"] == 3


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


def _two_workers(out: Path, *extra: str) -> list[dict]:
    cmd = _worker(out, "--trials", "4", *extra)
    workers = [subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    try:
        outputs = [w.communicate(timeout=2400) for w in workers]
    finally:
        for w in workers:  # a failed assertion leaves no worker behind
            if w.poll() is None:
                w.kill()
                w.wait()
    for w, (stdout, stderr) in zip(workers, outputs):
        assert w.returncode == 0, stderr
    return [check("search", stdout) for stdout, _ in outputs]


def _check_shared(study, results: list[dict]) -> None:
    from tinydistill.search import space

    trials = study.get_trials()
    finished = [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert len(finished) >= 4 and not [t for t in trials if t.state.name in ("RUNNING", "WAITING")]
    mine = [set(r["ran_here"]) for r in results]
    assert not mine[0] & mine[1]  # no trial ran on both workers
    assert mine[0] | mine[1] == {t.number for t in finished}
    assert len({t.user_attrs["worker"] for t in finished}) <= 2
    # The default student was enqueued once and run once, by one worker.
    default = space.default_candidate(32)
    assert sum(t.params == default for t in trials) == 1


@pytest.mark.slow
def test_two_workers_share_a_study_file(tmp_path):
    results = _two_workers(tmp_path / "s")
    _check_shared(_study(f"sqlite:///{tmp_path / 's' / 'study.db'}"), results)


@pytest.mark.slow
def test_two_workers_share_a_postgresql_study(postgres_url, tmp_path):
    results = _two_workers(tmp_path / "s", "--storage", postgres_url, "--study", "bm")
    assert all(r["storage"].startswith("postgresql") for r in results)
    study = _study(postgres_url, "bm")
    _check_shared(study, results)
    assert not (tmp_path / "s" / "study.db").exists()  # the study lives in the server
