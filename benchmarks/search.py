"""Does `tinydistill search` beat the default student at the same budget?

For each data set × target, the budget is the default student's own: its latency and flash on
the target (RAM: the target's). Per seed (a seed is a new split and new initial weights, shared
by both arms: the comparison is paired), the default student is `tinydistill train` with its
default options, and the searched one is `run_search` under that budget with the same seed
and the same training recipe; both are selected on validation, and only their test metric
(int8, the task's primary) is reported. The search also reports its front, the trials it ran,
those the budget pruned before training, and its wall time.

    python -m benchmarks.search                              # the campaign (about an hour on 2 cores)
    python -m benchmarks.search --sets basic-motions --targets cortex-m4 --seeds 3 --trials 16
    python -m benchmarks.search --quick --results /tmp/R.md  # smoke run: one pair, tiny training
"""

from __future__ import annotations

import argparse
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

SETS = ("basic-motions", "japanese-vowels")
TARGETS = ("cortex-m0plus", "cortex-m4")
QUICK = {"epochs": 1, "teacher_epochs": 1}


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


def default_student(dataset: str, target: str, seed: int, folder: Path, caps: dict) -> tuple[float, float, int]:
    """(test int8 metric, latency s, flash B) of `train`'s default student on `target`."""
    from tinydistill.deploy.budget import check_budget
    from tinydistill.deploy.quantize import quantize_run
    from tinydistill.training.train import TrainConfig, train

    run = folder / f"default-{dataset}-{seed}"
    if not (run / "student_int8.tflite").is_file():
        train(TrainConfig(dataset=dataset, seed=seed, overwrite=True, **caps), run, progress=False)
        quantize_run(run)
    from tinydistill.rundir import open_run

    r = open_run(run)
    metric = r.run_config.task_spec.primary
    report = check_budget(run, target)
    return float(r.metrics["student_int8"][metric]), report.latency_s, report.flash_bytes


def searched_student(dataset: str, target: str, seed: int, folder: Path, caps: dict, trials: int,
                     time_limit: float | None, latency: float, flash: int):
    from tinydistill.search import SearchConfig, run_search
    from tinydistill.training.train import TrainConfig

    config = SearchConfig(TrainConfig(dataset=dataset, seed=seed, **caps), target=target,
                          out=folder / f"search-{dataset}-{target}-{seed}", max_latency=latency, max_flash=flash,
                          trials=trials, time_limit=time_limit, progress=False)
    return run_search(config)


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
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per search (default: none)")
    parser.add_argument("--cache", type=Path, default=None, help="folder for runs and studies (default runs/bench-search)")
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
    for dataset in sets:
        for target in targets:
            pair = Pair(dataset, target)
            for seed in range(args.seeds):
                metric, latency, flash = default_student(dataset, target, seed, folder, caps)
                log(f"{dataset} {target} seed {seed}: default student {metric:.4f}, "
                    f"{latency * 1e3:.3f} ms, {flash:,} B; searching under that budget")
                start = time.monotonic()
                result = searched_student(dataset, target, seed, folder, caps, args.trials, args.time_limit,
                                          latency, flash)
                pair.seconds.append(time.monotonic() - start)
                picked = result.picked
                pair.default.append(metric)
                pair.default_budget.append((latency, flash))
                pair.searched.append(picked["test"]["int8"])
                pair.searched_budget.append((picked["latency_s"], picked["flash"]))
                pair.trials.append(result.counts)
                pair.front.append(len(result.front))
                pair.candidates.append(f"trial {picked['trial']} {picked['candidate']} "
                                       f"(T={picked['params']['temperature']:.2g}, α={picked['params']['alpha']:.2g})")
                log(f"  searched: {picked['test']['int8']:.4f} ({picked['candidate']}), "
                    f"{result.counts['complete']} trained / {result.counts['pruned']} pruned")
            pairs.append(pair)
    quick_note = ("**Smoke run (`--quick`): one epoch per model and two trials; these figures say only that the "
                  "script runs.**\n\n" if args.quick else "")
    body = (quick_note + f"Budget per set × target: the default student's own latency and flash on the target "
            f"(RAM: the target's SRAM). {args.seeds} paired seeds, {args.trials} finished trials per search "
            "(the first is the default student itself), both arms selected on validation, test accuracy of the "
            "int8 model reported.\n\n" + table(pairs) + "\nPicked per seed:\n\n" + picks(pairs)
            + "\n" + runtime_line(clock, args.seeds) + "\n\nDiscussion: the searched student may only be as "
            "slow and as large as the default one (the budget prunes the rest before training), so a positive "
            "difference is accuracy bought with the same device cost; a verdict of no significant difference "
            "with a positive mean says more seeds are needed.\n")
    write_section("search", "Search: the searched distilled student against the default student at its budget",
                  body, command, path=args.results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
