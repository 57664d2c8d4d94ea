"""Does distillation pay? Teacher, baseline student and distilled student on seven offline sets.

Regenerates one section of benchmarks/RESULTS.md per data set (`distill-table-<set>`) and the
summary section (`distill-table`) from every set's cached runs:

    python -m benchmarks.distill_table                      # every set, 5 repeats each
    python -m benchmarks.distill_table --sets acsf1,osuleaf --repeats 8
    python -m benchmarks.distill_table --quick --results /tmp/R.md   # smoke run

Every run is `tinydistill train` with its default options, as a user would run it (the
UCR sets as CSV through `--csv`, one window per series), so the table measures the tool,
not a tuned script. A repeat is a seed: it draws a new train/validation/test split of the
recordings (grouped by recording; by subject for `watch`) and new initial weights, and
teacher, baseline and distilled student of one repeat share that split: the comparisons are
paired. The variants of a set (`--sizes`: a wider student, the transfer set, the students'
earlier step budget on mnist1d) reuse the
teacher of the default run with the same seed (`train --teacher-from`), so their teacher
column equals the default's. Nothing is chosen on the test split: `train` selects epochs, temperature and α on
the validation split, and the baseline gets as many validation-selected candidates.
Runs are cached under `--cache` (one run directory per set, size and seed) so that an
interrupted campaign resumes. Every finished run also leaves a record in the repository
(`benchmarks/records/<cache folder name>/<set>/<size>/seed<k>.json`: its options and metrics.json),
so that a section can be rewritten on another machine without retraining what is recorded;
delete a record to train its run again.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import tempfile
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks import stats
from benchmarks.results import RESULTS, commit, markdown_table, write_section
from tinydistill import atomic

ROOT = Path(__file__).resolve().parent.parent
UCR = ROOT / "datasets" / "ucr"
RECORDS = ROOT / "benchmarks" / "records"


@dataclass(frozen=True)
class DataSet:
    """One row of the table: how `train` is called for it."""

    name: str
    options: dict
    recordings: str  # what the split groups, for the table
    n_recordings: int = 0  # how many: sets under SMALL recordings are held to the teacher (summary)
    variants: tuple = ("default",)  # the run variants (VARIANTS) the table shows for this set
    extra: dict = field(default_factory=dict)


def _ucr(name: str, length: int) -> dict:
    return {"csv": str(UCR / f"{name}.csv.gz"), "group": "rec", "label": "class", "channels": ("x",), "time": "t",
            "window": length, "hop": length}


# Every set can show the default student and the same student without batch norm ("plain", the
# default family before batch norm); three also the transfer set, and three the second size: the
# three whose runs are cheapest (1-6 min each; watch's and mnist1d's take ~12), osuleaf among them
# with the gap to its teacher.
BASIC = ("default", "plain")
VARIED = BASIC + ("wide", "transfer")

SETS = {
    "basic-motions": DataSet("basic-motions", {"dataset": "basic-motions"}, "80 recordings", 80, BASIC),
    "watch": DataSet("watch", {"dataset": "watch"}, "140 recordings, split by subject", 140, BASIC + ("transfer",)),
    "japanese-vowels": DataSet("japanese-vowels", {"dataset": "japanese-vowels"}, "640 utterances", 640, BASIC + ("wide",)),
    # mnist1d also with the students' step budget before it grew (the set where that budget binds)
    # and with function matching (`--transfer mixup`).
    "mnist1d": DataSet("mnist1d", {"dataset": "mnist1d"}, "5,000 sequences", 5000, BASIC + ("transfer", "short", "mixup")),
    "acsf1": DataSet("acsf1", _ucr("acsf1", 1460), "200 series (CSV)", 200, BASIC),
    # OSULeaf also at four times the default width: is the default size what keeps it from its teacher?
    "osuleaf": DataSet("osuleaf", _ucr("osuleaf", 427), "442 series (CSV)", 442, VARIED + ("wider",)),
    "covid3month_disc": DataSet("covid3month_disc", _ucr("covid3month_disc", 84), "201 series (CSV)", 201, BASIC + ("wide",)),
}
# Variants of a set's runs: the default options; the default student without batch norm; the second
# and third student sizes (twice and four times the default width, otherwise the default options);
# `--transfer augment` without batch norm (measured before batch norm became the default); the
# students' step budget before (SHORT) and function matching (`--transfer mixup`, T = 1).
VARIANTS = ("default", "plain", "wide", "wider", "transfer", "short", "mixup")
WIDTH_FACTOR = {"wide": 2, "wider": 4}
WITHOUT_BATCH_NORM = ("plain", "transfer")
LABELS = {"default": "", "plain": " (no batch norm)", "wide": " (2× width student)",
          "wider": " (4× width student)", "transfer": " (transfer set, no batch norm)",
          "short": " (students' budget before: at most 12,000 steps)",
          "mixup": " (function matching on mixup batches, T = 1)",
          "streaming": " (streamable family)"}
# Runs this table does not show but that share its cache and teachers: the streamable student family
# (`train --streaming`), compared with the default family by benchmarks/streaming.py.
EXTRA_VARIANTS = ("streaming",)
# Sets with fewer recordings than this: is the distilled student within CLOSE points of its teacher?
SMALL, CLOSE = 500, 5.0
QUICK = {"epochs": 2, "teacher_epochs": 1}


def _run_dir(cache: Path, ds: DataSet, size: str, seed: int) -> Path:
    return cache / ds.name / size / f"seed{seed}"


def _record(cache: Path, ds: DataSet, size: str, seed: int) -> Path:
    """The repository's record of a run: one folder per campaign (its cache's name), like the cache."""
    return RECORDS / cache.name / ds.name / size / f"seed{seed}.json"


def _finished(cache: Path, ds: DataSet, size: str, seed: int, quick: bool = False) -> bool:
    """Is the run in the cache, or (outside smoke runs) recorded in the repository?"""
    return (_run_dir(cache, ds, size, seed) / "metrics.json").is_file() or (
        not quick and _record(cache, ds, size, seed).is_file())


# The options a cached run must have been trained with (config.json "hyperparameters"), and what
# runs from before an option existed had.
CHECKED = ("transfer", "hint", "epochs", "teacher_epochs", "streaming", "batch_norm", "temperature", "alpha")
BEFORE = {"transfer": "none", "hint": False, "streaming": False, "batch_norm": False, "temperature": "auto",
          "alpha": "auto"}


def _check_cached(out: Path, config, saved: dict | None = None) -> None:
    """Refuse a cached run (or record) trained with other options than this campaign's (a stale cache)."""
    saved = json.loads((out / "config.json").read_text()) if saved is None else saved
    hyper = BEFORE | saved.get("hyperparameters", {})
    wrong = [f"{k} {hyper.get(k)!r} (wanted {getattr(config, k)!r})" for k in CHECKED
             if hyper.get(k) != getattr(config, k)]
    if saved.get("seed") != config.seed:
        wrong.append(f"seed {saved.get('seed')!r} (wanted {config.seed!r})")
    if config.student_width is not None and hyper.get("student_width") != config.student_width:
        wrong.append(f"student_width {hyper.get('student_width')!r} (wanted {config.student_width!r})")
    if wrong:
        raise SystemExit(f"the cached run {out} was trained with other options: {', '.join(wrong)}; "
                         "move it away (or use another --cache) and run again")


# The students' step budget before distilled students were found to need a longer one
# (recipe.py): 150 epochs, at least 8,000 and at most 12,000 steps.
SHORT = {"epochs": 150, "min_steps": 8000, "max_steps": 12000}


def _short_epochs(ds: DataSet, seed: int) -> int:
    """The epoch cap that gives `ds`'s students (about) the SHORT budget: `--epochs` caps by epochs."""
    from tinydistill.training import recipe
    from tinydistill.training.train import TrainConfig, prepare

    n = len(prepare(TrainConfig(**ds.options, seed=seed)).data["train"]["y"])
    budget = recipe.step_budget(n, TrainConfig.batch_size, role="student", **SHORT)
    return -(-budget.steps // budget.steps_per_epoch)


def _write_record(out: Path, path: Path, trained_at: str | None = None) -> None:
    """Record a finished run in the repository (written atomically): its seed, options, metrics.json and
    the commit that trained it (None for a run found in the cache, trained by an earlier process)."""
    config = json.loads((out / "config.json").read_text())
    record = {"seed": config.get("seed"), "hyperparameters": config.get("hyperparameters", {}),
              "metrics": json.loads((out / "metrics.json").read_text()), "trained_at": trained_at}
    atomic.write_text(path, json.dumps(record, indent=1, sort_keys=True) + "\n")


def _forget_variants(cache: Path, ds: DataSet, seed: int) -> None:
    """Delete the records of `seed`'s variant runs that used the default run's earlier teacher."""
    for size in VARIANTS + EXTRA_VARIANTS:
        stale = _record(cache, ds, size, seed)
        if size != "default" and stale.is_file() and not (_run_dir(cache, ds, size, seed) / "metrics.json").is_file():
            stale.unlink()
            print(f"{ds.name} seed {seed}: the default run was retrained for its teacher; the record of its "
                  f"'{size}' run used the earlier teacher and is deleted", file=sys.stderr, flush=True)


def train_one(ds: DataSet, size: str, seed: int, cache: Path, quick: bool, need_run: bool = False) -> dict:
    """metrics.json of one run: read from the cache or the repository's record, or trained now (in this process).

    `need_run` trains the run into the cache even when only its record exists (a variant needs its teacher);
    training is not bit-reproducible, so the retrained run replaces the record, and the records of the seed's
    other variants, trained with the earlier teacher, are deleted.
    """
    from tinydistill.tasks import get_task
    from tinydistill.training.train import TrainConfig, train

    out = _run_dir(cache, ds, size, seed)
    options = {**ds.options, "seed": seed, "overwrite": True, **(QUICK if quick else {})}
    if size in WIDTH_FACTOR:
        options["student_width"] = WIDTH_FACTOR[size] * get_task("classify").widths[1]
    elif size == "transfer":
        options["transfer"] = "augment"
    elif size == "streaming":
        options["streaming"] = True
    elif size == "short":
        options["epochs"] = _short_epochs(ds, seed)
    elif size == "mixup":  # function matching as Beyer et al. (2022) ran it: T = 1
        options.update(transfer="mixup", temperature=1.0)
    if size in WITHOUT_BATCH_NORM:
        options["batch_norm"] = False
    record = _record(cache, ds, size, seed)
    if (out / "metrics.json").is_file():
        _check_cached(out, TrainConfig(**options))
        if not quick and not record.is_file():
            _write_record(out, record)
        return json.loads((out / "metrics.json").read_text())
    if record.is_file() and not quick and not need_run:
        saved = json.loads(record.read_text())
        _check_cached(record, TrainConfig(**options), saved)
        return saved["metrics"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if size != "default":  # the default run of the same seed trains this split's teacher: reuse it
        train_one(ds, "default", seed, cache, quick, need_run=True)
        options["teacher_from"] = str(_run_dir(cache, ds, "default", seed))
    start = time.monotonic()
    train(TrainConfig(**options), out, progress=False)
    metrics = json.loads((out / "metrics.json").read_text())
    if not quick:
        if record.is_file():  # retrained for its teacher: training is not bit-reproducible, so this is a new run
            _forget_variants(cache, ds, seed)
        _write_record(out, record, trained_at=commit())
    print(f"{ds.name} {size} seed {seed}: teacher {metrics['teacher']['accuracy']:.3f} "
          f"student {metrics['student']['accuracy']:.3f} baseline {metrics['baseline']['accuracy']:.3f} "
          f"({time.monotonic() - start:.0f} s)", file=sys.stderr, flush=True)
    return metrics


@dataclass
class Cell:
    """Per-repeat test accuracies of one set at one student size."""

    name: str
    size: str
    teacher: list
    student: list
    baseline: list
    params: dict
    choices: list  # the (T, α) the validation split chose, per repeat

    def compare(self):
        return stats.paired(self.student, self.baseline), stats.paired(self.teacher, self.baseline)


def _train_job(job) -> None:
    train_one(*job)


def train_all(jobs: list, processes: int) -> None:
    """Train the runs not in the cache, each in a fresh process (`processes` at a time, one thread each)."""
    import multiprocessing

    todo = [j for j in jobs if not _finished(j[3], j[0], j[1], j[2], j[4])]
    if not todo:
        return
    # One intra-op thread per process: small models train faster as parallel processes than as threads.
    if processes > 1:
        os.environ.update(TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1")
    with multiprocessing.get_context("spawn").Pool(processes, maxtasksperchild=1) as pool:
        pool.map(_train_job, todo, chunksize=1)


def collect(ds: DataSet, size: str, seeds, cache: Path, quick: bool) -> Cell:
    runs = [train_one(ds, size, s, cache, quick) for s in seeds]
    choices = []
    for m in runs:
        sel = m.get("selection", {}).get("chosen") or {}
        choices.append((sel.get("temperature"), sel.get("alpha")))
    return Cell(ds.name, size, *([m[r]["accuracy"] for m in runs] for r in ("teacher", "student", "baseline")),
                params={r: runs[0][r]["params"] for r in ("teacher", "student", "baseline")}, choices=choices)


def provenance(cache: Path, runs) -> str:
    """Which commits trained the recorded runs `runs` ((set, size, seed) triples), as a sentence."""
    counts: dict[str, int] = {}
    for ds, size, seed in runs:
        path = _record(cache, ds, size, seed)
        at = json.loads(path.read_text()).get("trained_at") if path.is_file() else None
        counts[at or "not recorded"] = counts.get(at or "not recorded", 0) + 1
    return "Runs trained at commit: " + ", ".join(f"{k} ({v} run{'s' * (v != 1)})" for k, v in sorted(counts.items())) + "."


def _pct(values) -> str:
    v = 100 * np.asarray(values, np.float64)
    return f"{v.mean():.1f} ± {v.std(ddof=1):.1f}" if len(v) > 1 else f"{v[0]:.1f}"


def summary(cells: list[Cell]) -> str:
    """The seven-set table, Holm-corrected over its rows, and sentences stating what it shows."""
    comps = [c.compare() for c in cells]
    adjusted = stats.holm([kd.p for kd, _ in comps]) if all(kd.n > 1 for kd, _ in comps) else [1.0] * len(cells)
    rows, closed, lines = [], [], []
    for cell, (kd, room), p_adj in zip(cells, comps, adjusted):
        room_ok = stats.has_room(room)
        verdict = stats.verdict(kd, p_adj) if room_ok else "no room (teacher within noise of baseline)"
        gap = 100 * (np.mean(cell.teacher) - np.mean(cell.baseline))
        share = stats.gap_closed(np.mean(cell.teacher), np.mean(cell.student), np.mean(cell.baseline))
        if gap >= 2 and share is not None and cell.size == "default":  # one row per set in the average
            closed.append(share)
        rows.append([cell.name + LABELS[cell.size], len(cell.teacher),
                     f"{cell.params['teacher']:,}", f"{cell.params['student']:,}", _pct(cell.teacher),
                     _pct(cell.baseline), _pct(cell.student), kd.interval(100), f"{p_adj:.3f}",
                     f"{100 * share:.0f} %" if gap >= 2 and share is not None else "–", verdict])
    table = markdown_table(["set", "repeats", "teacher params", "student params", "teacher acc. %",
                            "baseline acc. %", "distilled acc. %", "distilled − baseline, points [95 % CI]",
                            "Holm p", "gap closed", "verdict"], rows)
    default = [c for c, (kd, _), p in zip(cells, comps, adjusted) if c.size == "default"]
    lines.append(table)
    n_def = len(default)
    ok = sum(1 for c, (kd, _), p in zip(cells, comps, adjusted)
             if c.size == "default" and not (p < stats.ALPHA and kd.mean < 0))
    worse = [c.name for c, (kd, _), p in zip(cells, comps, adjusted) if p < stats.ALPHA and kd.mean < 0]
    better = [c.name + LABELS[c.size] for c, (kd, _), p in zip(cells, comps, adjusted)
              if p < stats.ALPHA and kd.mean > 0]
    lines.append("**Discussion** (generated from the numbers above).")
    lines.append(f"At the default student size the distilled student is not significantly worse than the baseline "
                 f"on {ok} of {n_def} sets (Holm-corrected paired t-tests over the rows of the table)"
                 + (f"; it is significantly worse on {', '.join(worse)}" if worse else "")
                 + (f"; significantly better on {', '.join(better)}." if better else "; it is significantly better on none."))
    if closed:
        lines.append(f"At the default size, where the teacher is ahead of the baseline by 2 points or more ({len(closed)} set(s)), "
                     f"distillation closes on average {100 * float(np.mean(closed)):.0f} % of that gap "
                     f"(per row: {', '.join(f'{100 * s:.0f} %' for s in closed)}).")
    lines += _small_sets(cells)
    lines += _against(cells, "plain", "Without batch norm (`--no-batch-norm`, the student family before "
                      "batch norm became the default)")
    lines += _against(cells, "transfer", "With the transfer set (`--transfer augment`, both without batch norm)",
                      reference="plain")
    lines += _against(cells, "short", "With the students' budget before (at most 12,000 steps, as an epoch cap), "
                      "against the default budget (at most 36,000)")
    lines += _against(cells, "mixup", "With function matching (`--transfer mixup --temperature 1`)")
    lines += _against(cells, "wide", "At twice the default width (`--student-width`)")
    return "\n".join(lines) + "\n"


def _against(cells: list[Cell], size: str, what: str, reference: str = "default") -> list[str]:
    """A sentence on variant `size`: its distilled student's accuracy minus the `reference` variant's, paired by seed."""
    by = {(c.name, c.size): c for c in cells}
    found = [(by[(n, reference)], c) for (n, s), c in by.items() if s == size and (n, reference) in by]
    if not found:
        return []
    comps = [stats.paired(v.student, d.student) for d, v in found]
    adjusted = stats.holm([c.p for c in comps])
    parts = [f"{d.name} {c.interval(100)} (Holm p {p:.3f}, {stats.verdict(c, p)})"
             for (d, _), c, p in zip(found, comps, adjusted)]
    return [f"{what}, the distilled student's accuracy minus the {reference} run's, same seeds and teachers, "
            f"points [95 % CI]: {'; '.join(parts)}."]


def _small_sets(cells: list[Cell]) -> list[str]:
    """Sentences on the sets under SMALL recordings: distilled student within CLOSE points of the teacher?"""
    by = {(c.name, c.size): c for c in cells}
    close, far = [], []
    for (name, size), c in by.items():
        if size != "default" or SETS[name].n_recordings >= SMALL:
            continue
        gap = 100 * (np.mean(c.teacher) - np.mean(c.student))
        if gap <= CLOSE:
            close.append(f"{name} ({gap:+.1f})")
            continue
        text = f"{name} (teacher {100 * np.mean(c.teacher):.1f} %, distilled student {100 * np.mean(c.student):.1f} %"
        for size, factor in WIDTH_FACTOR.items():  # the larger students: does size close the gap?
            if (big := by.get((name, size))) is not None:
                behind = 100 * (np.mean(big.teacher) - np.mean(big.student))
                text += (f"; at {factor}× the default width, {big.params['student']:,} parameters, "
                         f"{100 * np.mean(big.student):.1f} % distilled and {100 * np.mean(big.baseline):.1f} % alone, "
                         f"{behind:.1f} points behind the teacher, {'within' if behind <= CLOSE else 'not within'} "
                         f"{CLOSE:g}")
        far.append(text + ")")
    if not close and not far:
        return []
    out = f"On the sets with fewer than {SMALL} recordings, the distilled student is within {CLOSE:g} points of its teacher"
    out += f" on {', '.join(close)} (teacher − student, points)" if close else " on none"
    out += f"; it is not on {'; '.join(far)}." if far else "."
    return [out]


def set_section(cell_rows: list[Cell]) -> str:
    """Per-repeat figures of one set (all sizes), with the validation-chosen T and α."""
    out = []
    for cell in cell_rows:
        rows = [[i, f"{100 * t:.1f}", f"{100 * b:.1f}", f"{100 * s:.1f}",
                 "–" if ch[0] is None else f"T={ch[0]}, α={ch[1]}"]
                for i, (t, b, s, ch) in enumerate(zip(cell.teacher, cell.baseline, cell.student, cell.choices))]
        what = {"default": "default options (batch norm, folded when saved)",
                "plain": "`--no-batch-norm` (the default student without batch norm)",
                "wide": "the second student size (2× width)",
                "wider": "the third student size (4× width)",
                "transfer": "`--transfer augment --no-batch-norm`", "streaming": "`--streaming`",
                "short": "the students' budget before (`--epochs` capped at about 12,000 steps)",
                "mixup": "`--transfer mixup --temperature 1` (function matching)"}[cell.size]
        out.append(f"Variant: {what} (student {cell.params['student']:,} parameters; teacher "
                   f"{cell.params['teacher']:,}).\n")
        out.append(markdown_table(["repeat (seed)", "teacher %", "baseline %", "distilled %", "chosen on validation"],
                                  rows))
    return "\n".join(out)


def campaign_parser(module: str, doc: str, sets: str, cache: str, quick: str) -> argparse.ArgumentParser:
    """The options every cached training campaign takes: sets, repeats, cache, results, jobs, quick."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=doc.split("\n")[0])
    parser.add_argument("--sets", default=sets, help=f"comma-separated sets (default: {sets})")
    parser.add_argument("--repeats", type=int, default=5, help="seeds per set (default 5)")
    parser.add_argument("--cache", type=Path, default=None, help=f"run directories (default runs/{cache})")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--jobs", type=int, default=2, help="training processes at a time (default 2, one per core)")
    parser.add_argument("--quick", action="store_true", help=f"smoke run: {quick}")
    parser.set_defaults(cache_name=cache)
    return parser


def parse_campaign(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if args.cache is None:  # a smoke run never mixes its tiny runs into the real cache
        args.cache = Path(tempfile.mkdtemp(prefix="td-bench-")) if args.quick else ROOT / "runs" / args.cache_name
    return args


def main(argv: list[str] | None = None) -> int:
    parser = campaign_parser("benchmarks.distill_table", __doc__, ",".join(SETS), "bench-distill",
                             "two repeats of tiny training on one set")
    parser.add_argument("--sizes", default="default,wide", help="variants to train, comma-separated: default, "
                        "plain (`--no-batch-norm`), wide and wider (the second and third student sizes) and "
                        "transfer (`--transfer augment`), the last three on the sets marked for them, and short "
                        "(the students' budget before, at most 12,000 steps: mnist1d) and mixup (function "
                        "matching, `--transfer mixup --temperature 1`: mnist1d) "
                        "(default: default,wide)")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_campaign(parser, argv)
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETS]
    if unknown or args.repeats < 2:
        parser.error(f"unknown set(s) {', '.join(unknown)}; choose from {', '.join(SETS)}" if unknown
                     else "--repeats must be at least 2 (the comparisons are paired)")
    if args.quick:
        names, args.repeats = names[:1] if args.sets != ",".join(SETS) else ["covid3month_disc"], 2
    command = " ".join(["python", "-m", "benchmarks.distill_table", *(shlex.quote(a) for a in argv)])
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    seeds = range(args.repeats)
    wanted = {s.strip() for s in args.sizes.split(",")}
    if not wanted <= set(VARIANTS):
        parser.error(f"--sizes takes a comma-separated subset of {', '.join(VARIANTS)}")
    if args.quick:  # the smoke run trains the default variant only (summary() has its own test)
        wanted = {"default"}
    began = time.monotonic()
    for name in names:
        ds = SETS[name]
        start = time.monotonic()
        sizes = [s for s in VARIANTS if s in wanted and s in ds.variants]
        for size in sizes:  # default first: the other variants reuse its teachers
            train_all([(ds, size, s, args.cache, args.quick) for s in seeds], args.jobs)
        cells = [collect(ds, size, seeds, args.cache, args.quick) for size in VARIANTS
                 if size in ds.variants and all(_finished(args.cache, ds, size, s, args.quick) for s in seeds)]
        body = (f"{ds.recordings}; {args.repeats} repeats; run time {(time.monotonic() - start) / 60:.1f} min "
                f"(0 when every run came from the cache or its record). "
                + provenance(args.cache, [(ds, c.size, s) for c in cells for s in seeds]) + "\n\n" + set_section(cells))
        write_section(f"distill-table-{name}", f"Distillation table: {name}", body, command, path=args.results)
    # The summary reads every set whose runs are all cached, so it can be rewritten set by set.
    cells = []
    for ds in SETS.values():
        for size in ds.variants:
            if all(_finished(args.cache, ds, size, s, args.quick) for s in seeds):
                cells.append(collect(ds, size, seeds, args.cache, args.quick))
    absent = [ds.name for ds in SETS.values()
              if not all(_finished(args.cache, ds, "default", s, args.quick) for s in seeds)]
    if absent:  # say what the table lacks rather than leave it to be noticed
        runtime_note = (f"Not in the table (fewer than {args.repeats} finished repeats recorded): "
                        f"{', '.join(absent)}.\n")
    else:
        runtime_note = ""
    runtime_note += provenance(args.cache, [(SETS[c.name], c.size, s) for c in cells for s in seeds]) + "\n"
    runtime = runtime_note + (f"Runtime: {(time.monotonic() - began) / 60:.1f} min wall clock for the runs this command trained "
               f"({args.jobs} processes on {os.cpu_count()} shared cores; runs already in the cache are read, not retrained).")
    write_section("distill-table", "Distillation table: teacher, baseline and distilled student on seven sets",
                  summary(cells) + "\n" + runtime + "\n", command, path=args.results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
