"""benchmarks/distill_table's records: a finished run is recorded in the repository and read
back without its run directory, and a record trained with other options is refused."""

from __future__ import annotations

import json

import pytest

from benchmarks import distill_table
from benchmarks.distill_table import CHECKED, SETS, train_one
from tinydistill.training.train import TrainConfig

DS = SETS["covid3month_disc"]


def _finished_run(cache, seed=0, **changed):
    """A run directory as `train` leaves it: config.json with the run's options, metrics.json."""
    config = TrainConfig(**DS.options, seed=seed)
    hyper = {k: getattr(config, k) for k in CHECKED} | changed
    out = cache / DS.name / "default" / f"seed{seed}"
    out.mkdir(parents=True)
    (out / "config.json").write_text(json.dumps({"seed": seed, "hyperparameters": hyper}))
    metrics = {r: {"accuracy": a, "params": 10} for r, a in (("teacher", 0.7), ("student", 0.65), ("baseline", 0.6))}
    (out / "metrics.json").write_text(json.dumps(metrics))
    return out, metrics


def test_a_cached_run_is_recorded_and_read_back_without_its_run_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(distill_table, "RECORDS", tmp_path / "records")
    cache = tmp_path / "bench-distill"
    out, metrics = _finished_run(cache)
    assert train_one(DS, "default", 0, cache, False) == metrics
    record = tmp_path / "records" / "bench-distill" / DS.name / "default" / "seed0.json"
    assert json.loads(record.read_text())["metrics"] == metrics
    for f in out.iterdir():  # another machine: the cache is gone, the record is in the repository
        f.unlink()
    out.rmdir()
    assert distill_table._finished(cache, DS, "default", 0)
    assert train_one(DS, "default", 0, cache, False) == metrics
    assert not distill_table._finished(cache, DS, "default", 0, quick=True)  # smoke runs never read records


def test_a_record_with_other_options_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(distill_table, "RECORDS", tmp_path / "records")
    cache = tmp_path / "bench-distill"
    out, _ = _finished_run(cache, transfer="augment")
    distill_table._write_record(out, distill_table._record(cache, DS, "default", 0))
    for f in out.iterdir():
        f.unlink()
    out.rmdir()
    with pytest.raises(SystemExit, match="transfer 'augment'"):
        train_one(DS, "default", 0, cache, False)


def test_retraining_a_default_run_for_its_teacher_forgets_the_variants_of_the_earlier_teacher(tmp_path, monkeypatch):
    monkeypatch.setattr(distill_table, "RECORDS", tmp_path / "records")
    cache = tmp_path / "bench-distill"
    out, _ = _finished_run(cache)
    for size in ("default", "wide", "mixup"):
        distill_table._write_record(out, distill_table._record(cache, DS, size, 0))
    distill_table._forget_variants(cache, DS, 0)
    assert distill_table._record(cache, DS, "default", 0).is_file()
    assert not distill_table._record(cache, DS, "wide", 0).is_file()
    assert not distill_table._record(cache, DS, "mixup", 0).is_file()


def test_the_records_say_which_commit_trained_their_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(distill_table, "RECORDS", tmp_path / "records")
    cache = tmp_path / "bench-distill"
    out, _ = _finished_run(cache)
    distill_table._write_record(out, distill_table._record(cache, DS, "default", 0), trained_at="abc1234")
    distill_table._write_record(out, distill_table._record(cache, DS, "wide", 0))  # found in the cache
    runs = [(DS, "default", 0), (DS, "wide", 0)]
    assert distill_table.provenance(cache, runs) == "Runs trained at commit: abc1234 (1 run), not recorded (1 run)."
