"""Privileged sensors: does a teacher that sees channels the device lacks make a better student?

Regenerates the `privileged-sensors` section of benchmarks/RESULTS.md:

    python -m benchmarks.privileged_sensors                 # watch and japanese-vowels, 5 repeats
    python -m benchmarks.privileged_sensors --quick --results /tmp/R.md   # smoke run

Two real sets where the extra channels carry information:
- `watch` (smartwatch, 10 subjects, split by subject): the device has the accelerometer; the lab
  recording adds the gyroscope.
- `japanese-vowels` (640 utterances, 9 speakers): the device computes cepstral coefficients
  c01-c06; the lab has c07-c12 too.
For each, two teachers per repeat: one on the device's channels only, one that also sees the
privileged channels. Every run is `tinydistill train` with default options (epochs, T and α chosen
on the validation split; the baseline gets as many validation-selected restarts), so the
baseline (the device's channels, no distillation) is the same network and candidates in both
conditions. Runs are cached like benchmarks/distill_table.py's.
"""

from __future__ import annotations

import os
import shlex
import time
import sys


from benchmarks import stats
from benchmarks.distill_table import (DataSet, _finished, _pct, campaign_parser, parse_campaign, provenance, train_all,
                                      train_one)
from benchmarks.results import markdown_table, write_section

ACC, GYRO = ("acc_x", "acc_y", "acc_z"), ("gyro_x", "gyro_y", "gyro_z")
LOW, HIGH = tuple(f"c{i:02d}" for i in range(1, 7)), tuple(f"c{i:02d}" for i in range(7, 13))
# set -> (device channels' condition, privileged condition), each a DataSet of `train` options
CONDITIONS = {
    "watch": (DataSet("watch-acc", {"dataset": "watch", "channels": ACC}, "teacher on the accelerometer"),
              DataSet("watch-acc+gyro", {"dataset": "watch", "privileged": GYRO},
                      "teacher on accelerometer + gyroscope")),
    "japanese-vowels": (DataSet("jv-c01-06", {"dataset": "japanese-vowels", "channels": LOW},
                                "teacher on c01-c06"),
                        DataSet("jv-c01-12", {"dataset": "japanese-vowels", "privileged": HIGH},
                                "teacher on c01-c12")),
}


def section(name: str, runs: dict, repeats: int) -> tuple[str, list]:
    """One set's table and its comparisons (returned for the Holm correction over every set).

    Without the device-channel teacher's runs (`--privileged-only`) the table has the
    privileged condition alone and the comparisons that need only it.
    """
    device, privileged = CONDITIONS[name]
    conds = [(k, ds) for k, ds in (("a", device), ("b", privileged)) if ds.name in runs]
    acc = {f"{k}_{r}": [m[r]["accuracy"] for m in runs[ds.name]] for k, ds in conds
           for r in ("teacher", "student", "baseline")}
    rows = [[ds.recordings, _pct(acc[f"{k}_teacher"]), _pct(acc[f"{k}_baseline"]), _pct(acc[f"{k}_student"])]
            for k, ds in conds]
    table = markdown_table(["teacher", "teacher acc. %", "baseline acc. % (device channels, no KD)",
                            "distilled student acc. % (device channels)"], rows)
    comps = [(f"{name}: student distilled from the privileged teacher − baseline", stats.paired(acc["b_student"], acc["b_baseline"]))]
    if "a_student" in acc:
        comps += [(f"{name}: student distilled from the device-channel teacher − baseline", stats.paired(acc["a_student"], acc["a_baseline"])),
                  (f"{name}: privileged-teacher student − device-teacher student", stats.paired(acc["b_student"], acc["a_student"])),
                  (f"{name}: privileged teacher − device-channel teacher", stats.paired(acc["b_teacher"], acc["a_teacher"]))]
    else:
        comps.append((f"{name}: privileged teacher − baseline", stats.paired(acc["b_teacher"], acc["b_baseline"])))
    return f"### {name} ({repeats} repeats)\n\n{table}", comps


def main(argv: list[str] | None = None) -> int:
    parser = campaign_parser("benchmarks.privileged_sensors", __doc__, ",".join(CONDITIONS), "bench-privileged",
                             "japanese-vowels, privileged teacher only, 2 repeats, tiny training")
    parser.add_argument("--privileged-only", action="store_true",
                        help="train only the privileged teacher's condition (the device-channel teacher's is "
                        "shown where all its runs are cached or recorded)")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_campaign(parser, argv)
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    if any(n not in CONDITIONS for n in names) or args.repeats < 2:
        parser.error(f"--sets: choose from {', '.join(CONDITIONS)}; --repeats must be at least 2")
    if args.quick:  # the privileged teacher's condition only: a smoke run, not a comparison
        names, args.repeats, args.privileged_only = ["japanese-vowels"], 2, True
    command = " ".join(["python", "-m", "benchmarks.privileged_sensors", *(shlex.quote(a) for a in argv)])
    seeds = range(args.repeats)
    began = time.monotonic()
    conditions = {n: CONDITIONS[n][1:] if args.privileged_only else CONDITIONS[n] for n in names}
    jobs = [(ds, "default", s, args.cache, args.quick) for n in names for ds in conditions[n] for s in seeds]
    train_all(jobs, args.jobs)
    # With --privileged-only, a set's device-channel teacher is still shown when all its runs are recorded.
    shown = {n: [ds for ds in CONDITIONS[n] if ds in conditions[n]
                 or all(_finished(args.cache, ds, "default", s, args.quick) for s in seeds)] for n in names}
    parts, comps = [], []
    for name in names:
        runs = {ds.name: [train_one(ds, "default", s, args.cache, args.quick) for s in seeds] for ds in shown[name]}
        text, c = section(name, runs, args.repeats)
        parts.append(text)
        comps += c
    adjusted = stats.holm([c.p for _, c in comps])
    lines = [markdown_table(["comparison", "difference, points [95 % CI]", "p", "Holm p", "verdict"],
                            [[label, c.interval(100), f"{c.p:.3f}", f"{p:.3f}", stats.verdict(c, p)]
                             for (label, c), p in zip(comps, adjusted)])]
    firsts = [i for i, (label, _) in enumerate(comps) if ": student distilled from the privileged teacher" in label]
    for (label, c), p in ((comps[i], adjusted[i]) for i in firsts):  # each set's first row: the question asked
        student = "accelerometer-only" if label.startswith("watch") else "c01-c06"
        lines.append(f"{label.split(':')[0]}: the {student} student distilled from the privileged teacher "
                     f"{'beats' if stats.verdict(c, p) == 'better' else 'does not beat'} the {student} baseline "
                     f"beyond noise ({c.interval(100)} points, Holm p {p:.3f}).")
    lines.insert(1, "**Discussion** (generated from the numbers above).")
    lines.append(provenance(args.cache, [(ds, "default", s) for n in names for ds in shown[n] for s in seeds]))
    lines.append(f"Runtime: {(time.monotonic() - began) / 60:.1f} min wall clock for the runs this command trained "
                 f"({args.jobs} processes on {os.cpu_count()} shared cores; cached runs are read, not retrained).")
    body = ("Every run with `train`'s default options (students with batch norm, folded at conversion).\n\n"
            + "\n\n".join(parts) + "\n\nPaired comparisons over the repeats, Holm-corrected over every row:\n\n" + "\n\n".join(lines))
    write_section("privileged-sensors", f"Privileged sensors: {' and '.join(names)}", body, command, path=args.results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
