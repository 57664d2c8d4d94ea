"""The Optuna study: its storage (a file in the search folder, or a shared database), its
setup (what every worker must agree on), and a worker's loop.

Several workers — processes on one machine or on many — may share one study through
`--storage URL --study NAME`; each pulls trials until the study holds enough. A worker that
dies mid-trial stops beating its heartbeat; the next worker to ask for a trial marks that
trial FAIL and enqueues a copy of its parameters (RetryHeartbeatStaleTrialCallback), so the killed
trial is retried, never left RUNNING.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..errors import TinyDistillError

STUDY_FILE = "study.db"
HEARTBEAT_S = 60.0
MAX_RETRY = 3  # a trial that kills its worker every time is retried this often, then left FAIL
SCHEMA_ATTEMPTS = 5
MIN_GRACE_S = 20


def optuna_module():
    """optuna, quietly (its per-trial INFO lines and experimental-feature warnings are not for the user)."""
    try:
        import optuna
    except ImportError:
        raise TinyDistillError("`tinydistill search` needs Optuna: pip install optuna "
                               "(and psycopg2-binary for a PostgreSQL --storage)") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


def storage_url(folder: Path, url: str | None) -> str:
    """The study database: `url`, or an SQLite file in the search folder (embedded, nothing to start)."""
    return url or f"sqlite:///{Path(folder).resolve() / STUDY_FILE}"


def open_storage(url: str, heartbeat_s: float = HEARTBEAT_S):
    """An RDB storage with heartbeats (grace: `grace_s`) and retries of the trials of dead workers."""
    optuna = optuna_module()
    import sqlalchemy.exc

    if heartbeat_s <= 0:
        raise TinyDistillError(f"--heartbeat must be positive, got {heartbeat_s}")
    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    for attempt in range(SCHEMA_ATTEMPTS):
        try:
            return optuna.storages.RDBStorage(
                url, engine_kwargs=kwargs, heartbeat_interval=max(1, round(heartbeat_s)),
                grace_period=grace_s(heartbeat_s),
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY))
        except (sqlalchemy.exc.SQLAlchemyError, ValueError, ImportError) as exc:
            # Workers started together on a new database race to create its tables; the losers'
            # next attempt finds them made.
            if attempt + 1 < SCHEMA_ATTEMPTS and _schema_race(exc):
                time.sleep(1.0 + attempt)
                continue
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise TinyDistillError(f"cannot open the study storage {url}: {detail}; check --storage (e.g. "
                                   "postgresql://user@host/db, or leave it out for a file in --out)") from None


def grace_s(heartbeat_s: float) -> int:
    """Seconds without a heartbeat after which a trial's worker counts as dead: two missed beats, and
    at least MIN_GRACE_S more than one (a loaded machine holds a busy worker's heartbeat thread up
    for seconds; a live worker's trial failed as stale is trained twice)."""
    beat = max(1, round(heartbeat_s))
    return max(2 * beat, beat + MIN_GRACE_S)


def _schema_race(exc: Exception) -> bool:
    """An error of two workers creating the study tables at once (not a wrong URL or a refused connection)."""
    import sqlalchemy.exc

    text = str(exc).lower()
    return isinstance(exc, (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError)) or (
        isinstance(exc, sqlalchemy.exc.OperationalError) and ("already exists" in text or "locked" in text))


def directions(task) -> list[str]:
    """Validation metric (its own direction), latency and flash on the target (both minimized)."""
    from ..tasks import get_task

    t = get_task(task)
    return ["maximize" if t.higher_is_better[t.primary] else "minimize", "minimize", "minimize"]


def open_study(storage, name: str, setup: dict, task, seed: int, first: dict | None = None):
    """Create or join study `name`; refuse to join one made for other data, target or limits.

    The worker that creates the study (the database's unique study name decides which, even when
    workers start together) enqueues `first`, the parameters of the first trial.
    """
    import os

    optuna = optuna_module()
    # Workers must not propose the same points: each one's sampler gets its own seed.
    sampler = optuna.samplers.TPESampler(seed=(seed * 1_000_003 + os.getpid()) % 2**32, multivariate=False)
    try:
        study = optuna.create_study(storage=storage, study_name=name, directions=directions(task), sampler=sampler)
        study.set_user_attr("setup", setup)
        if first is not None:
            study.enqueue_trial(first)
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(storage=storage, study_name=name, sampler=sampler)
    if list(study.directions) != [optuna.study.StudyDirection[d.upper()] for d in directions(task)]:
        raise TinyDistillError(f"study {name!r} holds another kind of study (directions "
                               f"{[d.name.lower() for d in study.directions]}); use another --study")
    known = study.user_attrs.get("setup")
    if known is None:
        study.set_user_attr("setup", setup)
    elif known != setup:
        differ = sorted(k for k in set(known) | set(setup) if known.get(k) != setup.get(k))
        raise TinyDistillError(f"study {name!r} was started with other settings ({', '.join(differ)}: "
                               f"{', '.join(f'{k}={known.get(k)!r}' for k in differ)}); use the same options "
                               "or another --study / --out")
    return study


def counts(study) -> dict:
    """Trials of the study per state (lower-case state names), and of the pruned ones those the budget
    pruned ("pruned_by_budget"; the others had a shape the window or the int8 converter refuses)."""
    out = {"complete": 0, "pruned": 0, "fail": 0, "running": 0, "waiting": 0, "pruned_by_budget": 0}
    for t in study.get_trials(deepcopy=False):
        out[t.state.name.lower()] = out.get(t.state.name.lower(), 0) + 1
        out["pruned_by_budget"] += t.user_attrs.get("pruned_by") == "budget"
    return out


@dataclass
class WorkerStats:
    ran: list  # trial numbers this worker ran (finished or pruned)
    seconds: float


def work(study, objective, trials: int | None, time_limit: float | None, log,
         poll_s: float = HEARTBEAT_S) -> WorkerStats:
    """Pull trials until the study has `trials` finished ones (complete or pruned) or `time_limit` passed.

    Trials running on other workers count toward the total (so several workers do not
    overshoot by more than one trial each), but a worker with nothing left to start waits
    (polling every `poll_s`) until they end: a dead worker's trial is then failed once its
    heartbeat is stale, and its retry run here. So a search restarted right after a `kill -9`
    retries the killed trial instead of leaving it RUNNING. A retry is always run.
    """
    optuna = optuna_module()
    start = time.monotonic()
    ran = []
    waiting_logged = False
    while True:
        optuna.storages.fail_stale_trials(study)  # a dead worker's RUNNING trial becomes FAIL + a retry
        c = counts(study)
        if time_limit is not None and time.monotonic() - start >= time_limit:
            log(f"time limit reached after {len(ran)} trial(s) of this worker")
            break
        if trials is None and time_limit is None:
            break
        if trials is not None and c["complete"] + c["pruned"] + c["running"] >= trials and not c["waiting"]:
            if not c["running"]:
                break
            if not waiting_logged:
                log(f"waiting for {c['running']} running trial(s) of other (or dead) workers")
                waiting_logged = True
            time.sleep(poll_s)
            continue
        before = {t.number for t in study.get_trials(deepcopy=False) if t.state.is_finished()}
        try:
            # No gc_after_trial: with TensorFlow loaded each full collection takes seconds (half a pruned trial).
            study.optimize(objective, n_trials=1, gc_after_trial=False)
        except (ValueError, optuna.exceptions.UpdateFinishedTrialError):
            lost = _lost(study, before)
            if not lost:
                raise
            log(f"trial {lost} was failed by another worker while it ran here (its heartbeat looked stale); "
                "its retry runs in its place")
        ran += sorted({t.number for t in study.get_trials(deepcopy=False)
                       if t.state.is_finished() and t.user_attrs.get("worker") == _me()} - before - set(ran))
    return WorkerStats(ran, time.monotonic() - start)


def _lost(study, before: set) -> int | None:
    """The trial this worker was running that another worker has failed as stale (None: not that)."""
    optuna = optuna_module()
    for t in study.get_trials(deepcopy=False):
        if (t.number not in before and t.state == optuna.trial.TrialState.FAIL
                and t.user_attrs.get("worker") == _me()):
            return t.number
    return None


def _me() -> str:
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


def front(study) -> list:
    """The Pareto-optimal finished trials (metric vs latency vs flash), best metric first."""
    optuna = optuna_module()
    complete = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        return []
    sign = 1 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else -1
    return sorted(study.best_trials, key=lambda t: (-sign * t.values[0], t.values[1], t.values[2], t.number))


def best_feasible(study, default: dict | None = None):
    """The finished trial with the best validation metric. Ties go first to the default student
    (the trial whose parameters are `default`), as `train`'s baseline wins ties: the search
    moves off the default only when validation says a candidate is better. Other ties go to
    the lower validation cross-entropy (classifiers), then to lower latency, flash, and the
    earlier trial.

    A small validation split saturates (every candidate at accuracy 1.0 on basic-motions);
    breaking those ties by latency alone picks the smallest student whatever its margins,
    while the cross-entropy still ranks how surely each one is right.
    """
    optuna = optuna_module()
    complete = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        return None
    sign = 1 if study.directions[0] == optuna.study.StudyDirection.MAXIMIZE else -1
    return min(complete, key=lambda t: (-sign * t.values[0], t.params != default, _cross_entropy(t), t.values[1],
                                        t.values[2], t.number))


def _cross_entropy(trial) -> float:
    """The trial's validation cross-entropy (its float student's; 0 for tasks without one)."""
    return float((trial.user_attrs.get("val_float") or {}).get("cross_entropy", 0.0))
