"""Does `tinydistill search` beat the default student at the same budget?

For each data set × target and seed (a seed is a new split and new initial weights, shared by
both arms: the comparison is paired), the budget is the default student's own latency and flash
on the target (RAM: the target's), taken from the untrained model as the search itself does.
The default student is the search's trial 0: `train`'s student architecture at its default
width and the data's window, trained as `train` trains it (T = 4, α ∈ {0, 0.9} chosen on
validation, the same recipe, seed and teacher). The searched student is the study's best
validation trial under that budget, over the search's default windows (the data's, half, twice
and four times it where the recordings hold them); a tie on validation keeps the default. Only
the test metric (int8, the task's primary) of each is reported, with the front, the trials
trained and those the budget pruned before training, and the wall time.

The campaign, by design within an hour on 2 cores: 2 sets × 2 targets (cortex-m0plus,
cortex-m4) × 10 seeds = 40 searches of at most 12 finished trials each, none started after the
set's time limit (SETS). basic-motions is the ceiling set (every student near 100 %);
mackey-glass's rise/fall task (the value 8 samples ahead above the last one, the student's
default window 4 samples as in Hayashi et al. 2019) is the one with room. Both targets of a set
and seed run in one process, one after the other, sharing one cache folder (`search --cache`):
a teacher or candidate the first target's search trained is read, not trained again, by the
second's. `--jobs` such processes run at a time, one TensorFlow thread each.

    python -m benchmarks.search                              # the campaign (about 60 min on 2 cores)
    python -m benchmarks.search --sets basic-motions --targets cortex-m4 --seeds 3 --trials 16
    python -m benchmarks.search --quick --results /tmp/R.md  # smoke run (under 2 minutes): one pair, tiny training
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks import stats
from benchmarks.results import RESULTS, markdown_table, write_section
from benchmarks.seedlib import Clock, log, pm, runtime_line


@dataclass(frozen=True)
class SearchSet:
    """A benchmark set: its data options (those of `train`), and the seconds after which a search
    of it starts no new trial (trials of the sets differ in cost)."""

    options: dict
    time_limit: float
    about: str


SETS = {
    "basic-motions": SearchSet({}, 150.0, "classify, window 32, hop 8"),
    # hop 8 (the data's default is 2): a quarter of the windows, so a trial trains in about a minute.
    "mackey-glass": SearchSet({"task": "classify", "hop": 8}, 480.0, "classify rise/fall, window 4, hop 8"),
}
TARGETS = ("cortex-m0plus", "cortex-m4")
# One epoch per model, half of basic-motions' windows and one window length: the script runs, fast.
QUICK = {"epochs": 1, "teacher_epochs": 1, "hop": 16}
QUICK_WINDOWS = (32,)
# 2: the targets of a set × seed share one cache folder (a candidate trains once), the default wins ties.
PROTOCOL = 2


@dataclass
class Pair:
    """One data set × target: per seed, the default student's and the searched student's figures."""

    dataset: str
    target: str
    default: list = field(default_factory=list)    # test int8 metric
    searched: list = field(default_factory=list)
    default_budget: list = field(default_factory=list)  # (latency s, flash B)
    searched_budget: list = field(default_factory=list)
    trials: list = field(default_factory=list)      # study counts per seed
    front: list = field(default_factory=list)       # front sizes
    seconds: list = field(default_factory=list)     # search wall time per seed
    candidates: list = field(default_factory=list)  # the picked candidate per seed
    seeds: list = field(default_factory=list)


def default_budget(train_config, target: str) -> tuple[float, int]:
    """(latency s, flash B) of the default student on `target`: its untrained int8 model's budget."""
    from tinydistill.search import space, trial
    from tinydistill.training.train import prepare

    prep = prepare(train_config)
    student = space.build_student(space.default_candidate(prep.window, prep.task), prep.data["train"]["xs"].shape[1:],
                                  prep.task, len(prep.classes))
    report = trial.budget_of(student, prep, trial.Limits(target))
    return report.latency_s, report.flash_bytes


def search_pair(dataset: str, target: str, seed: int, folder: Path, caps: dict, windows, trials: int,
                time_limit: float | None):
    """(search result, default trial's test metric, default budget) of one set × target × seed.

    Its teachers and trained candidates are kept in the set × seed's cache folder, shared by the targets.
    """
    import dataclasses

    from tinydistill.search import SearchConfig, run_search
    from tinydistill.training.train import TrainConfig

    train_config = TrainConfig(dataset=dataset, seed=seed, **caps)
    latency, flash = default_budget(train_config, target)
    out = folder / f"search-{dataset}-{target}-{seed}"
    config = SearchConfig(train_config, target=target, out=out, max_latency=latency, max_flash=flash,
                          trials=trials, time_limit=time_limit, windows=windows, progress=False,
                          cache=folder / f"cache-{dataset}-{seed}")
    result = run_search(config)
    default = result.picked["test"]["int8"]
    if result.picked["trial"] != 0:  # trial 0 is the default student: its run, for its test metric
        default = run_search(dataclasses.replace(config, trials=None, time_limit=None, pick=0)).picked["test"]["int8"]
    return result, default, (latency, flash), out


def unit_file(job: tuple) -> Path:
    """Where a finished set × seed unit keeps its figures (read back instead of searching again)."""
    dataset, seed, _targets, folder, *_ = job
    return Path(folder) / f"unit-{dataset}-{seed}.json"


def unit_key(job: tuple) -> dict:
    """What a unit's stored figures must have been measured with to be reused."""
    dataset, seed, targets, _folder, caps, windows, trials, time_limit = job
    return json.loads(json.dumps({"set": dataset, "seed": seed, "targets": list(targets), "options": caps,
                                  "windows": windows, "trials": trials, "time_limit": time_limit,
                                  "protocol": PROTOCOL}))


def stored_unit(job: tuple) -> list[dict] | None:
    """The figures of `job` from an earlier campaign over the same cache, if it finished with these settings."""
    try:
        stored = json.loads(unit_file(job).read_text())
    except (OSError, ValueError):
        return None
    return stored["rows"] if isinstance(stored, dict) and stored.get("key") == unit_key(job) else None


def search_unit(job: tuple) -> list[dict]:
    """Every target's search of one set and seed, in order (the later ones reuse the teachers and candidates
    the earlier ones trained):
    per target, the figures a Pair collects (plain values, so they cross process boundaries), also
    written to unit_file (the wall times with them: a later call over the same cache reads them back)."""
    dataset, seed, targets, folder, caps, windows, trials, time_limit = job
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from tinydistill.quiet import import_tensorflow

    import_tensorflow()
    rows = []
    for target in targets:
        start = time.monotonic()
        result, default, (latency, flash), out = search_pair(dataset, target, seed, folder, caps, windows, trials,
                                                             time_limit)
        picked = result.picked
        rows.append({"default": default, "default_budget": (latency, flash), "searched": picked["test"]["int8"],
                     "searched_budget": (picked["latency_s"], picked["flash"]), "trials": result.counts,
                     "front": len(result.front), "seconds": time.monotonic() - start,
                     "candidate": f"trial {picked['trial']} {picked['candidate']} "
                                  f"(T={picked['params']['temperature']:.2g}, α={picked['params']['alpha']:.2g})"})
        log(f"{dataset} {target} seed {seed}: default {default:.4f} at {latency * 1e3:.3f} ms, {flash:,} B; "
            f"searched {picked['test']['int8']:.4f} ({picked['candidate']}), "
            f"{result.counts['complete']} trained / {result.counts['pruned']} pruned")
    from tinydistill import atomic

    atomic.write_text(unit_file(job), json.dumps({"key": unit_key(job), "rows": rows}, indent=1) + "\n")
    return rows


def run_units(jobs: list[tuple], processes: int) -> tuple[list[list[dict]], int]:
    """The figures of every job, in the order of `jobs`, and how many were read from the cache (stored_unit);
    the others run search_unit, `processes` at a time in fresh processes (one TensorFlow thread each), or
    here when 1."""
    done = [stored_unit(job) for job in jobs]
    todo = [i for i, rows in enumerate(done) if rows is None]
    if processes == 1 or len(todo) <= 1:
        fresh = [search_unit(jobs[i]) for i in todo]
    else:
        import multiprocessing

        # Small models train faster as parallel single-threaded processes than as threads of one.
        os.environ.update(TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1")
        with multiprocessing.get_context("spawn").Pool(min(processes, len(todo)), maxtasksperchild=1) as pool:
            fresh = pool.map(search_unit, [jobs[i] for i in todo], chunksize=1)
    for i, rows in zip(todo, fresh):
        done[i] = rows
    return done, len(jobs) - len(todo)


def table(pairs: list[Pair]) -> str:
    comparisons = [stats.paired(p.searched, p.default) for p in pairs]
    adjusted = stats.holm([c.p for c in comparisons])
    rows = []
    for p, c, adj in zip(pairs, comparisons, adjusted):
        lat_d, flash_d = np.mean([b[0] for b in p.default_budget]), np.mean([b[1] for b in p.default_budget])
        lat_s, flash_s = np.mean([b[0] for b in p.searched_budget]), np.mean([b[1] for b in p.searched_budget])
        ok = all(s[0] <= d[0] and s[1] <= d[1] for s, d in zip(p.searched_budget, p.default_budget))
        rows.append([p.dataset, p.target, pm(np.array(p.default) * 100), pm(np.array(p.searched) * 100),
                     c.interval(100), f"{adj:.3f}", stats.verdict(c, adj),
                     f"{lat_d * 1e3:.3f} / {lat_s * 1e3:.3f}", f"{flash_d:,.0f} / {flash_s:,.0f}",
                     "yes" if ok else "NO",
                     f"{sum(t['complete'] for t in p.trials)} / {sum(t['pruned_by_budget'] for t in p.trials)}"
                     f" / {sum(t['pruned'] - t['pruned_by_budget'] for t in p.trials)}",
                     f"{np.mean(p.front):.1f}", f"{np.mean(p.seconds) / 60:.1f}"])
    header = ["set", "target", "default % (test, int8)", "searched %", "searched − default [95 % CI]", "Holm p",
              "verdict", "latency ms default / searched", "flash B default / searched", "within budget",
              "trials trained / pruned by the budget / by their shape (all seeds)", "front size", "search min per seed"]
    return markdown_table(header, rows)


def picks(pairs: list[Pair]) -> str:
    lines = []
    for p in pairs:
        lines.append(f"- {p.dataset} on {p.target}: " + "; ".join(
            f"seed {seed}: {c}" for seed, c in zip(p.seeds, p.candidates)))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.search", description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)} (default all)")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"comma-separated (default {','.join(TARGETS)})")
    parser.add_argument("--seeds", type=int, default=10, help="paired repeats (default 10; at least 2)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed; the others follow (default 0)")
    parser.add_argument("--trials", type=int, default=12, help="finished trials per search (default 12)")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds after which a search starts no new trial (default: the set's, "
                             + ", ".join(f"{k} {v.time_limit:g}" for k, v in SETS.items()) + ")")
    parser.add_argument("--jobs", type=int, default=2, help="set × seed processes at a time (default 2, one per core)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder for runs and studies (default runs/bench-search)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--section", default="search",
                        help="RESULTS.md section to write (default search; another name adds a section beside it)")
    parser.add_argument("--purpose", default="", help="a sentence opening the section: why this run was made")
    parser.add_argument("--quick", action="store_true", help="smoke run: one set, one target, two seeds, two "
                        "trials, one epoch per model (the figures mean nothing)")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [s for s in sets if s not in SETS]
    if unknown or not sets:
        parser.error(f"--sets: unknown {', '.join(unknown) or '(none given)'}; choose from {', '.join(SETS)}")
    if args.seeds < 2:
        parser.error("--seeds must be at least 2 (the comparison is paired)")
    if args.trials < 1:
        parser.error("--trials must be at least 1")
    if args.time_limit is not None and args.time_limit <= 0:
        parser.error("--time-limit must be positive")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.first_seed < 0:
        parser.error("--first-seed must be at least 0")
    caps = {}
    if args.quick:
        sets, targets, args.seeds, args.trials, caps = sets[:1], targets[-1:], 2, 2, dict(QUICK)
    folder = args.cache or (Path(tempfile.mkdtemp(prefix="td-bench-search-")) if args.quick
                            else Path(__file__).resolve().parent.parent / "runs" / "bench-search")
    folder.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python", "-m", "benchmarks.search", *(shlex.quote(a) for a in argv)])
    clock = Clock()
    windows = QUICK_WINDOWS if args.quick else None

    def limit(dataset: str) -> float | None:
        return None if args.quick else (args.time_limit or SETS[dataset].time_limit)

    seeds = range(args.first_seed, args.first_seed + args.seeds)
    units = [(d, seed) for d in sets for seed in seeds]
    # The costlier set first: its processes start while the cheaper ones fill the other cores.
    order = sorted(units, key=lambda u: -SETS[u[0]].time_limit)
    jobs = [(d, seed, targets, folder, {**SETS[d].options, **caps}, windows, args.trials, limit(d)) for d, seed in order]
    done, reused = run_units(jobs, args.jobs)
    by_unit = dict(zip(order, done))
    pairs = []
    for dataset in sets:
        for i, target in enumerate(targets):
            pair = Pair(dataset, target)
            for seed in seeds:
                row = by_unit[(dataset, seed)][i]
                pair.default.append(row["default"])
                pair.default_budget.append(row["default_budget"])
                pair.searched.append(row["searched"])
                pair.searched_budget.append(row["searched_budget"])
                pair.trials.append(row["trials"])
                pair.front.append(row["front"])
                pair.seconds.append(row["seconds"])
                pair.candidates.append(row["candidate"])
                pair.seeds.append(seed)
            pairs.append(pair)
    purpose = args.purpose.strip() + "\n\n" if args.purpose.strip() else ""
    quick_note = purpose + ("**Smoke run (`--quick`): one epoch per model and two trials; these figures say only "
                            "that the script runs.**\n\n" if args.quick else "")
    data = "; ".join(f"{d}: {SETS[d].about}" + ("" if limit(d) is None else f", no trial started after {limit(d):g} s")
                     for d in sets)
    body = (quick_note + f"Budget per set × target: the default student's own latency and flash on the target "
            f"(RAM: the target's SRAM). {args.seeds} paired seeds ({seeds[0]}–{seeds[-1]}); per search at most "
            f"{args.trials} finished trials ({data}). Trial 0 is the default student at the data's window, trained "
            "as `train` trains it: T = 4, α ∈ {0, 0.9} chosen on validation; the other trials may use the other "
            "window lengths (half, twice, four times the data's, where the recordings hold them). The targets of "
            "a set × seed share one cache folder: a candidate both searches sample trains once. Both arms "
            "selected on validation (a tie keeps the default), "
            "test accuracy of the int8 model reported: every window of the test recordings that the student's "
            "window length allows, so arms of different windows are scored on the same recordings.\n\n"
            + table(pairs) + "\nPicked per seed:\n\n" + picks(pairs)
            + "\n" + runtime_line(clock, args.seeds)
            + f" {args.jobs} set × seed process(es) at a time, one TensorFlow thread each."
            + (f" {reused} of the {len(jobs)} set × seed units were read from an earlier run over the same cache "
               "(their search minutes are that run's)." if reused else "") + "\n\nDiscussion: the "
            "searched student may only be as slow and as large as the default one (the budget prunes the rest "
            "before training), so a positive difference is accuracy bought with the same device cost; a verdict "
            "of no significant difference with a positive mean says more seeds are needed.\n")
    title = "Search: the searched distilled student against the default student at its budget"
    write_section(args.section, title + ("" if args.section == "search" else f" ({args.section})"),
                  body, command, path=args.results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
