"""Does `tinydistill search` beat the default student at the same budget?

For each data set × target and seed (a seed is a new split and new initial weights, shared by
both arms: the comparison is paired), the budget is the default student's own latency and flash
on the target (RAM: the target's), taken from the untrained model as the search itself does.
The default student is the search's trial 0: `train`'s student architecture at its default
width, trained as `train` trains it (T = 4, α ∈ {0, 0.9} chosen on validation, the same recipe,
seed and teacher). The searched student is the study's best validation trial under that budget.
Only the test metric (int8, the task's primary) of each is reported, with the front, the trials
trained and those the budget pruned before training, and the wall time.

The campaign, by design about an hour on 2 cores: 2 sets (basic-motions, japanese-vowels) × 2
targets (cortex-m0plus, cortex-m4) × 3 seeds = 12 searches of at most 12 finished trials, each
starting no trial after 150 s (a trained trial costs about a minute with the students' full step
budget, a pruned one a few seconds), so at most 12 × (150 s + one trial + writing the runs) ≈
50 minutes, plus one teacher per set × seed × window (2 windows), shared by both targets' searches.

    python -m benchmarks.search                              # the campaign (about an hour on 2 cores)
    python -m benchmarks.search --sets basic-motions --targets cortex-m4 --seeds 3 --trials 16
    python -m benchmarks.search --quick --results /tmp/R.md  # smoke run (under 2 minutes): one pair, tiny training
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks import stats
from benchmarks.results import RESULTS, markdown_table, write_section
from benchmarks.seedlib import Clock, log, pm, runtime_line

SETS = ("basic-motions", "japanese-vowels")
TARGETS = ("cortex-m0plus", "cortex-m4")
TIME_LIMIT_S = 150.0
# One epoch per model, half of basic-motions' windows and one window length: the script runs, fast.
QUICK = {"epochs": 1, "teacher_epochs": 1, "hop": 16}
QUICK_WINDOWS = (32,)


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


def default_budget(train_config, target: str) -> tuple[float, int]:
    """(latency s, flash B) of the default student on `target`: its untrained int8 model's budget."""
    from tinydistill.search import space, trial
    from tinydistill.training.train import prepare

    prep = prepare(train_config)
    student = space.build_student(space.default_candidate(prep.window), prep.data["train"]["xs"].shape[1:],
                                  prep.task, len(prep.classes))
    report = trial.budget_of(student, prep, trial.Limits(target))
    return report.latency_s, report.flash_bytes


def search_pair(dataset: str, target: str, seed: int, folder: Path, caps: dict, windows, trials: int,
                time_limit: float | None, teachers: Path | None):
    """(search result, default trial's test metric, default budget) of one set × target × seed.

    `teachers`: a search folder of the same set and seed whose teachers this search reuses.
    """
    import dataclasses

    from tinydistill.search import SearchConfig, run_search
    from tinydistill.training.train import TrainConfig

    train_config = TrainConfig(dataset=dataset, seed=seed, **caps)
    latency, flash = default_budget(train_config, target)
    out = folder / f"search-{dataset}-{target}-{seed}"
    if teachers is not None and (teachers / "teachers").is_dir() and not (out / "teachers").exists():
        shutil.copytree(teachers / "teachers", out / "teachers")
    config = SearchConfig(train_config, target=target, out=out, max_latency=latency, max_flash=flash,
                          trials=trials, time_limit=time_limit, windows=windows, progress=False)
    result = run_search(config)
    default = result.picked["test"]["int8"]
    if result.picked["trial"] != 0:  # trial 0 is the default student: its run, for its test metric
        default = run_search(dataclasses.replace(config, trials=None, time_limit=None, pick=0)).picked["test"]["int8"]
    return result, default, (latency, flash), out


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
                     f"{sum(t['complete'] for t in p.trials)} / {sum(t['pruned'] for t in p.trials)}",
                     f"{np.mean(p.front):.1f}", f"{np.mean(p.seconds) / 60:.1f}"])
    header = ["set", "target", "default % (test, int8)", "searched %", "searched − default [95 % CI]", "Holm p",
              "verdict", "latency ms default / searched", "flash B default / searched", "within budget",
              "trials trained / pruned (all seeds)", "front size", "search min per seed"]
    return markdown_table(header, rows)


def picks(pairs: list[Pair]) -> str:
    lines = []
    for p in pairs:
        lines.append(f"- {p.dataset} on {p.target}: " + "; ".join(
            f"seed {i}: {c}" for i, c in enumerate(p.candidates)))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.search", description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated (default {','.join(SETS)})")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"comma-separated (default {','.join(TARGETS)})")
    parser.add_argument("--seeds", type=int, default=3, help="paired repeats (default 3; at least 2)")
    parser.add_argument("--trials", type=int, default=12, help="finished trials per search (default 12)")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT_S,
                        help=f"seconds after which a search starts no new trial (default {TIME_LIMIT_S:g})")
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder for runs and studies (default runs/bench-search)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="smoke run: one set, one target, two seeds, two "
                        "trials, one epoch per model (the figures mean nothing)")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if args.seeds < 2:
        parser.error("--seeds must be at least 2 (the comparison is paired)")
    if args.trials < 1:
        parser.error("--trials must be at least 1")
    if args.time_limit <= 0:
        parser.error("--time-limit must be positive")
    caps = {}
    if args.quick:
        sets, targets, args.seeds, args.trials, caps = sets[:1], targets[-1:], 2, 2, dict(QUICK)
    folder = args.cache or (Path(tempfile.mkdtemp(prefix="td-bench-search-")) if args.quick
                            else Path(__file__).resolve().parent.parent / "runs" / "bench-search")
    folder.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python", "-m", "benchmarks.search", *(shlex.quote(a) for a in argv)])
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from tinydistill.quiet import import_tensorflow

    import_tensorflow()
    clock = Clock()
    pairs = []
    windows = QUICK_WINDOWS if args.quick else None
    time_limit = None if args.quick else args.time_limit
    teachers = {}  # (set, seed) -> the first search folder: its teachers serve the other target too
    for dataset in sets:
        for target in targets:
            pair = Pair(dataset, target)
            for seed in range(args.seeds):
                start = time.monotonic()
                result, default, (latency, flash), out = search_pair(
                    dataset, target, seed, folder, caps, windows, args.trials, time_limit,
                    teachers.get((dataset, seed)))
                teachers.setdefault((dataset, seed), out)
                pair.seconds.append(time.monotonic() - start)
                picked = result.picked
                pair.default.append(default)
                pair.default_budget.append((latency, flash))
                pair.searched.append(picked["test"]["int8"])
                pair.searched_budget.append((picked["latency_s"], picked["flash"]))
                pair.trials.append(result.counts)
                pair.front.append(len(result.front))
                pair.candidates.append(f"trial {picked['trial']} {picked['candidate']} "
                                       f"(T={picked['params']['temperature']:.2g}, α={picked['params']['alpha']:.2g})")
                log(f"{dataset} {target} seed {seed}: default {default:.4f} at {latency * 1e3:.3f} ms, {flash:,} B; "
                    f"searched {picked['test']['int8']:.4f} ({picked['candidate']}), "
                    f"{result.counts['complete']} trained / {result.counts['pruned']} pruned")
            pairs.append(pair)
    quick_note = ("**Smoke run (`--quick`): one epoch per model and two trials; these figures say only that the "
                  "script runs.**\n\n" if args.quick else "")
    body = (quick_note + f"Budget per set × target: the default student's own latency and flash on the target "
            f"(RAM: the target's SRAM). {args.seeds} paired seeds; per search at most {args.trials} finished trials"
            + ("" if time_limit is None else f", none started after {time_limit:g} s")
            + " (trial 0 is the default student, trained as `train` trains it: T = 4, α ∈ {0, 0.9} chosen on "
            "validation); both arms selected on validation, test accuracy of the int8 model reported.\n\n"
            + table(pairs) + "\nPicked per seed:\n\n" + picks(pairs)
            + "\n" + runtime_line(clock, args.seeds) + "\n\nDiscussion: the searched student may only be as "
            "slow and as large as the default one (the budget prunes the rest before training), so a positive "
            "difference is accuracy bought with the same device cost; a verdict of no significant difference "
            "with a positive mean says more seeds are needed.\n")
    write_section("search", "Search: the searched distilled student against the default student at its budget",
                  body, command, path=args.results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
