"""`run_search`: a worker of the study, then the Pareto front and the picked student as a run directory.

The search folder (`out`) holds the study file (unless `storage` points elsewhere), the
teachers (one per window) and every trained candidate's students (fits.py; in the `cache`
folder instead when one is given: searches of the same data for several boards share it),
front.json, and `run/`: the picked student as a normal run directory (quantize / budget /
export / emulate take it as is).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import fits, space, study as studies, trial as trials
from .teacher import DataCache, locked, run_window
from .. import atomic, units
from ..errors import CheckFailed, TinyDistillError
from ..tasks import get_task
from ..training.train import TRAINING_KEYS, TrainConfig

RUN_DIR = "run"
FRONT_FILE = "front.json"
MIN_WINDOW = 8  # a window candidate other than the data's own is tried only when it keeps at least this many samples
LONGER = (2, 4)  # the longer window candidates: these multiples of the data's window, where the recordings hold them


@dataclass
class SearchConfig:
    """Every `search` option. `train` holds the data options and the training caps (epochs)."""

    train: TrainConfig
    target: str
    out: str | Path
    max_flash: str | int | None = None
    max_ram: str | int | None = None
    max_latency: str | float | None = None
    trials: int | None = None
    time_limit: float | None = None
    storage: str | None = None
    study: str = "search"
    windows: tuple[int, ...] | None = None
    pick: int | None = None
    heartbeat: float = studies.HEARTBEAT_S
    progress: bool = True
    cache: str | Path | None = None  # teachers and trained candidates (default: out); searches may share one

    def validate(self) -> None:
        from ..deploy.targets import get_target

        get_target(self.target)
        for name in ("max_flash", "max_ram"):
            if getattr(self, name) is not None:
                units.parse_size(getattr(self, name))
        if self.max_latency is not None:
            units.parse_time(self.max_latency)
        if self.trials is not None and (isinstance(self.trials, bool) or self.trials < 0):
            raise TinyDistillError(f"--trials must be >= 0, got {self.trials}")
        if self.time_limit is not None and self.time_limit <= 0:
            raise TinyDistillError(f"--time-limit must be positive, got {self.time_limit}")
        if self.trials is None and self.time_limit is None and self.pick is None:
            raise TinyDistillError("give --trials N and/or --time-limit SECONDS (or --pick TRIAL to write a run)")
        if self.windows is not None and any(w < 2 for w in self.windows):
            raise TinyDistillError(f"--windows must be integers >= 2, got {','.join(map(str, self.windows))}")
        if not self.study or not str(self.study).strip():
            raise TinyDistillError("--study needs a name")
        self.train.validate()
        if get_task(self.train.task).reconstructs:
            raise TinyDistillError("search covers the classify and forecast tasks; for anomaly use `tinydistill train`")


@dataclass
class Setup:
    """What the objective needs: options resolved once per worker."""

    train: TrainConfig
    limits: trials.Limits
    windows: tuple[int, ...]
    study_name: str


@dataclass
class SearchResult:
    study: str
    storage: str
    counts: dict
    ran: list
    front: list
    picked: dict | None
    run: str | None
    front_file: str
    seconds: float
    metric: str
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"study": self.study, "storage": self.storage, "trials": self.counts, "ran_here": self.ran,
                "metric": self.metric, "front": self.front, "picked": self.picked, "run": self.run,
                "front_file": self.front_file, "seconds": self.seconds}


def _log(enabled: bool):
    def log(message: str) -> None:
        if enabled:
            print(message, file=sys.stderr, flush=True)
    return log


def _redacted(url: str) -> str:
    """The storage URL without its password (it is printed and written to front.json)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 — a URL sqlalchemy cannot parse is shown as given
        return url


def run_search(config: SearchConfig) -> SearchResult:
    """One worker: join (or create) the study, run trials, then write front.json and the picked run."""
    config.validate()
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    tf.get_logger().setLevel("ERROR")  # retracing notices: every candidate is a new model, by design
    start = time.monotonic()
    log = _log(config.progress)
    folder = Path(config.out)
    folder.mkdir(parents=True, exist_ok=True)
    url = studies.storage_url(folder, config.storage)
    storage = studies.open_storage(url, config.heartbeat)
    train_cfg = dataclasses.replace(config.train, target=config.target, max_flash=config.max_flash,
                                    max_ram=config.max_ram, max_latency=config.max_latency)
    cache = DataCache(train_cfg, Path(config.cache) if config.cache is not None else folder, log)
    default = cache.prepared(train_cfg.window)
    windows = tuple(config.windows) if config.windows else _default_windows(default.window, cache)
    limits = trials.Limits(config.target, config.max_flash, config.max_ram, config.max_latency)
    setup = Setup(train_cfg, limits, windows, config.study)
    for window in windows:  # a window the recordings cannot hold is bad input now, not a failed trial later
        cache.prepared(window)
    if train_cfg.teacher_from is not None:  # checked (and loaded) now: a wrong run is bad input, not a failed trial
        given = run_window(train_cfg.teacher_from)
        if given is None:
            raise TinyDistillError(f"--teacher-from {train_cfg.teacher_from}: not a run directory (no readable "
                                   "config.json); give a folder `tinydistill train` wrote")
        if given not in windows:
            raise TinyDistillError(f"--teacher-from {train_cfg.teacher_from}: its window ({given}) is not among the "
                                   f"searched windows ({', '.join(map(str, windows))}); add it to --windows")
        cache.teacher(given)
    # The default student is the first point: the search has it to beat at the same budget.
    first = space.default_candidate(default.window if default.window in windows else windows[0], default.task)
    study = studies.open_study(storage, config.study, _study_setup(train_cfg, limits, windows), default.task,
                               train_cfg.seed, first)
    stats = studies.work(study, trials.Objective(setup, cache, log), config.trials, config.time_limit, log,
                         poll_s=config.heartbeat)

    metric = get_task(default.task).primary
    rows = [_row(t) for t in studies.front(study)]
    front_file = folder / FRONT_FILE
    c = studies.counts(study)
    atomic.write_text(front_file, json.dumps({"study": config.study, "storage": _redacted(url), "metric": metric,
                                              "objectives": [f"val int8 {metric}", "latency_s", "flash_bytes"],
                                              "trials": c, "front": rows}, indent=2) + "\n")
    picked = _picked(study, config.pick, first)
    run_path, picked_row = None, None
    if picked is not None:
        run_path = folder / RUN_DIR
        with locked(folder / ".run.lock"):  # workers sharing a folder write the run one at a time, once
            test = _written(run_path, config.study, picked.number, metric) or write_run(setup, cache, picked,
                                                                                          run_path, log)
        picked_row = _row(picked) | {"test": test}
    result = SearchResult(config.study, _redacted(url), c, stats.ran, rows, picked_row,
                          str(run_path) if run_path else None, str(front_file), time.monotonic() - start, metric)
    if picked is None:
        raise CheckFailed(f"no candidate fits {config.target} within the limits ({c['pruned_by_budget']} pruned by "
                          f"the budget, {c['pruned'] - c['pruned_by_budget']} by their shape, {c['complete']} finished): "
                          "raise --max-flash/--max-ram/--max-latency or choose a larger target")
    return result


def _written(run_path: Path, study: str, number: int, metric: str) -> dict | None:
    """The test metrics of `run_path` when it already holds trial `number` of `study`, quantized
    (another worker sharing the folder wrote it), else None."""
    try:
        m = json.loads((run_path / "metrics.json").read_text())
        if (m["search"]["study"], m["search"]["trial"]) == (study, number) and \
                (run_path / "student_int8.tflite").is_file():
            return {"float": m["student"][metric], "int8": m["student_int8"][metric]}
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _default_windows(window: int, cache: DataCache) -> tuple[int, ...]:
    """The data's window, half of it, and LONGER multiples of it: those of at least MIN_WINDOW samples
    (the data's own always) and, for the longer ones, whose windows every split of the recordings holds."""
    windows = [window] + [window // 2] * (window // 2 >= MIN_WINDOW)
    for longer in (window * k for k in LONGER if window * k >= MIN_WINDOW):
        try:
            cache.prepared(longer)
        except TinyDistillError:  # too long for these recordings (or for one split of them): not a candidate
            break
        windows.append(longer)
    return tuple(windows)


def _study_setup(config: TrainConfig, limits: trials.Limits, windows) -> dict:
    """What every worker of a study must share (stored in the study; a different one is refused)."""
    from .teacher import TEACHER_KEYS

    data = {k: getattr(config, k) for k in TEACHER_KEYS if k != "window"}
    data |= {k: getattr(config, k) for k in ("epochs", "learning_rate")}
    return json.loads(json.dumps({"data": data, "limits": limits.as_dict(), "windows": list(windows),
                                  "space": 2}, default=str))


def _picked(study, pick: int | None, default: dict):
    optuna = studies.optuna_module()
    if pick is None:
        return studies.best_feasible(study, default)
    found = [t for t in study.get_trials(deepcopy=False) if t.number == pick]
    if not found:
        raise TinyDistillError(f"--pick {pick}: the study has no trial {pick}; see front.json for the trial numbers")
    if found[0].state != optuna.trial.TrialState.COMPLETE:
        raise TinyDistillError(f"--pick {pick}: trial {pick} is {found[0].state.name.lower()}, not complete; "
                               "pick a trial of the front")
    return found[0]


def _row(t) -> dict:
    """One trial as a front row (validation metric, budget figures, parameters)."""
    b = t.user_attrs.get("budget", {})
    return {"trial": t.number, "candidate": t.user_attrs.get("candidate", ""), "params": dict(t.params),
            "val": t.values[0], "latency_s": t.values[1], "flash": int(t.values[2]), "ram": b.get("ram"),
            "model_params": b.get("params"), "macs": b.get("macs"), "distilled": t.user_attrs.get("distilled")}


def format_front(result: SearchResult) -> str:
    """The front as a table, then the counts and the picked trial's test metrics."""
    head = ("trial", "candidate", f"val {result.metric}", "latency", "flash", "RAM", "params", "KD")
    rows = [head] + [(str(r["trial"]), r["candidate"], f"{r['val']:.4f}", units.format_time(r["latency_s"]),
                      units.format_size(r["flash"]), units.format_size(r["ram"] or 0), f"{r['model_params'] or 0:,}",
                      "yes" if r["distilled"] else "no") for r in result.front]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["Pareto front (validation, int8; latency and flash on the target):"]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(2, "  ".join("-" * w for w in widths))
    c = result.counts
    lines.append(f"trials: {c['complete']} finished, {c['pruned']} pruned before training "
                 f"({c['pruned_by_budget']} by the budget, the others by their shape), {c['fail']} failed"
                 f", {c['running']} running; this worker ran {len(result.ran)} in {result.seconds:.0f} s")
    if result.picked:
        p = result.picked
        test = ", ".join(f"{k} {v:.4f}" for k, v in p["test"].items())
        lines.append(f"picked trial {p['trial']} ({p['candidate']}): test {test}")
        lines.append(f"run directory: {result.run}")
    return "\n".join(lines)


def write_run(setup: Setup, cache: DataCache, t, out_dir: Path, log) -> dict:
    """The picked trial as a run directory (quantized); returns its test metrics (float and int8).

    The run is written by `train`'s own writer, with the study's teacher recorded as its
    --teacher-from. A trial finished by a worker on another machine has no students in this
    cache folder: they are retrained from its parameters (same seed, same data).
    """
    from ..deploy.quantize import quantize_run
    from ..training.train import evaluate_models, write_run as write_train_run

    p = dict(t.params)
    prep = cache.prepared(p["window"])
    teacher, record = cache.teacher(p["window"]), cache.record(p["window"])
    fitted = fits.fitted(p, cache, log)
    students = {"student": fitted["chosen"]["model"], "baseline": fitted["base"]["model"]}
    chosen, base = fitted["chosen"], fitted["base"]
    metrics, threshold = evaluate_models(prep.task, teacher, students, prep.data,
                                         prep.std[prep.channels.index(prep.predict)])
    info = {"teacher": record["info"], "student": chosen["info"], "baseline": base["info"]}
    metrics["training"] = {role: {k: info[role][k] for k in TRAINING_KEYS} for role in info}
    metrics["training"]["teacher"]["reused_from"] = record["info"]["reused_from"]

    def row(c):
        return {"temperature": c["temperature"], "alpha": c["alpha"], "seed": c["seed"], "val": c["val"],
                "best_epoch": c["info"]["best_epoch"], "steps": c["info"]["steps"]}

    metrics["selection"] = {"split": "val", "metric": list(chosen["val"]), "temperature": p["temperature"],
                            "alpha": p["alpha"], "transfer": "none", "grid": [row(base), row(fitted["kd"])],
                            "chosen": {"temperature": chosen["temperature"], "alpha": chosen["alpha"]},
                            "baseline_candidates": [row(base)], "baseline_chosen_seed": base["seed"]}
    metrics["search"] = {"study": setup.study_name, "trial": t.number, "params": p, "candidate": space.describe(p),
                         "val_int8": t.user_attrs.get("val_int8"), "budget": t.user_attrs.get("budget")}
    config = dataclasses.replace(setup.train, window=p["window"], temperature=float(p["temperature"]),
                                 alpha=float(p["alpha"]), teacher_from=record["info"]["reused_from"], overwrite=True)
    history = {"teacher": record["history"], "student": chosen["history"], "baseline": base["history"]}
    write_train_run(out_dir, config, prep, teacher, students, history, metrics, threshold,
                    (config.teacher_width or get_task(prep.task).widths[0], None))
    quantize_run(out_dir)
    return _written(out_dir, setup.study_name, t.number, get_task(prep.task).primary)
