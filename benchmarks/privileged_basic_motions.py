"""Privileged sensors on basic-motions: a gyroscope the teacher sees and the device lacks.

Regenerates the `privileged-basic-motions` section of benchmarks/RESULTS.md:

    python -m benchmarks.privileged_basic_motions            # 5 seeds
    python -m benchmarks.privileged_basic_motions --quick --results /tmp/R.md   # smoke run

Data as `tinydistill train --dataset basic-motions` cuts it: windows of 32 samples every
8, recordings split 60/20/20 into train/validation/test per seed (stratified by activity),
per-channel normalization from the training recordings. The student (the project's
Conv1D student family, width 24) sees the accelerometer only; it is trained on labels
alone, distilled from a teacher that saw the accelerometer only, and distilled from a
teacher that also saw the gyroscope (the project's Conv1D teacher family, width 64).
Twice: with every training recording, and data-scarce with 2 training recordings per
activity (epochs scaled up so both take about the same number of training steps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks import seedlib as sl
from benchmarks.results import markdown_table, write_section

SECTION = "privileged-basic-motions"
ACC = ("acc_x", "acc_y", "acc_z")
GYRO = ("gyro_x", "gyro_y", "gyro_z")
TEMPERATURE, ALPHA = 4.0, 0.7
SWEEP = ((1.0, ALPHA), (8.0, ALPHA), (TEMPERATURE, 0.3), (TEMPERATURE, 1.0))
TEACHERS = {"acc": "teacher on accelerometer", "acc+gyro": "teacher on accelerometer + gyroscope"}


@dataclass(frozen=True)
class Schedule:
    teacher_epochs: int
    student_epochs: int
    batch_size: int = 32


FULL = Schedule(teacher_epochs=30, student_epochs=60)
QUICK = Schedule(teacher_epochs=1, student_epochs=1)


def load(seed: int, per_class: int | None = None):
    """({split: (x_acc, x_all, y)} cut and normalized as `train` does, class names, epoch scale).

    With `per_class`, only that many training recordings of each activity are kept (the
    data-scarce condition); validation and test recordings are the same as without it,
    and the epoch scale (full / kept recordings) keeps the number of training steps about equal.
    """
    from tinydistill.data import datasets, windowing

    ds = datasets.load("basic-motions")
    channels = ACC + GYRO
    idx = ds.channel_index(channels)
    plan = windowing.WindowPlan(window=ds.defaults["window"], hop=ds.defaults["hop"], teacher_idx=tuple(idx),
                                student_idx=tuple(ds.channel_index(ACC)))
    splits = windowing.split_recordings(ds.recordings, seed)
    if per_class is not None:
        rng = np.random.default_rng(seed)
        by_class: dict[int, list[int]] = {}
        for i in splits[0]:
            by_class.setdefault(int(np.bincount(ds.recordings[i].labels).argmax()), []).append(i)
        kept = sorted(int(i) for members in by_class.values() for i in rng.permutation(members)[:per_class])
        epoch_scale = len(splits[0]) / len(kept)
        splits = (kept, *splits[1:])
    else:
        epoch_scale = 1.0
    mean, std = windowing.fit_normalization(ds.recordings, splits[0], idx)
    data = {}
    for name, ids in zip(("train", "val", "test"), splits):
        w = windowing.make_windows(ds.recordings, plan, ids)
        data[name] = (windowing.normalize(w.xs, mean[:3], std[:3]), windowing.normalize(w.xt, mean, std),
                      w.label.astype(np.int64))
    return data, ds.labels, epoch_scale


def run_seed(seed: int, sched: Schedule, sweep: list, per_class: int | None) -> dict:
    """Teachers and students of one seed in one condition; `sweep` lists the (T, alpha) of distilled students."""
    from tinydistill.training import models

    data, labels, scale = load(seed, per_class)
    xa, xall, y = data["train"]
    ta, tall, ty = data["test"]
    n = len(labels)
    out = {"n_test": len(ty), "n_train": len(y)}
    teachers = {}
    for key, x_train, x_test in (("acc", xa, ta), ("acc+gyro", xall, tall)):
        sl.keras_setup(seed)
        t = sl.train_plain(models.build("teacher", "classify", x_train.shape[1:], n, 64), x_train, y,
                           epochs=round(sched.teacher_epochs * scale), batch_size=sched.batch_size, learning_rate=1e-3,
                           seed=seed)
        teachers[key] = sl.frozen_outputs(t, x_train)
        out[("teacher", key)] = sl.errors(ty, sl.logits(t, x_test))
        out[("teacher_params", key)] = t.count_params()
    kw = dict(epochs=round(sched.student_epochs * scale), batch_size=sched.batch_size, learning_rate=3e-3,
              seed=seed)

    def student(teacher_key=None, t=TEMPERATURE, a=0.0):
        sl.keras_setup(seed)  # same initial weights and batch order for every student of this seed
        teacher, x_teacher = teachers[teacher_key] if teacher_key else (None, xa)
        s = sl.train_student(models.build("student", "classify", xa.shape[1:], n, 24), teacher, xa, x_teacher, y,
                             temperature=t, alpha=a, **kw)
        return sl.errors(ty, sl.logits(s, ta)), s.count_params()

    out["alone"], out["student_params"] = student()
    for key in TEACHERS:
        for t, a in sweep:
            out[("distilled", key, t, a)] = student(key, t, a)[0]
    sl.log(f"seed {seed}, {per_class or 'all'} training recordings per activity: test windows {len(ty)}; errors teacher acc {out[('teacher', 'acc')]}, "
           f"acc+gyro {out[('teacher', 'acc+gyro')]}; student alone {out['alone']}, distilled from acc "
           f"{out[('distilled', 'acc', TEMPERATURE, ALPHA)]}, from acc+gyro {out[('distilled', 'acc+gyro', TEMPERATURE, ALPHA)]}")
    return out


CONDITIONS = {None: "all training recordings (48: 60 % of 80)",
              2: "data-scarce: 2 training recordings per activity (8)"}


def report(by_condition: dict, clock, seeds: int) -> str:
    body = [f"Test errors (windows; about {by_condition[None][0]['n_test']} test windows per seed, from 16 held-out "
            f"recordings) and accuracy, mean ± std over {seeds} seed(s); each seed re-splits the recordings and "
            "re-initializes every model. Two conditions share the validation and test recordings of a seed: "
            "every training recording, and a data-scarce one (the regime where learning using privileged "
            "information is expected to matter most).\n"]
    for per_class, results in by_condition.items():
        body += _condition(CONDITIONS[per_class], results, seeds)
    body.append(f"- With about {by_condition[None][0]['n_test']} test windows, one window is "
                f"{100 / by_condition[None][0]['n_test']:.1f} accuracy points: differences of a window or two are noise.")
    body.append("\n" + sl.runtime_line(clock, seeds))
    return "\n".join(body)


def _condition(title: str, results: list[dict], seeds: int) -> list[str]:
    col = (lambda key: [r[key] for r in results])
    acc = (lambda key: [100.0 * (1 - r[key] / r["n_test"]) for r in results])
    sp = results[0]["student_params"]
    rows = []
    for key, name in TEACHERS.items():
        tp = results[0][("teacher_params", key)]
        rows.append([name, "acc" if key == "acc" else "acc + gyro", sl.pm(col(("teacher", key))),
                     sl.pm(acc(("teacher", key))), f"{tp:,}"])
    rows.append(["student, labels only", "acc", sl.pm(col("alone")), sl.pm(acc("alone")), f"{sp:,}"])
    for key, name in TEACHERS.items():
        k = ("distilled", key, TEMPERATURE, ALPHA)
        rows.append([f"student distilled from the {name} (T={TEMPERATURE:g}, α={ALPHA:g})", "acc", sl.pm(col(k)),
                     sl.pm(acc(k)), f"{sp:,}"])
    body = [f"**{title[0].upper() + title[1:]}** ({sl.pm(col('n_train'), 0)} training windows):\n",
            markdown_table(["model", "inputs", "test errors", "accuracy %", "params"], rows)]
    keys = sorted({(k[2], k[3]) for k in results[0] if isinstance(k, tuple) and k[0] == "distilled"},
                  key=lambda ta: (ta[1], ta[0]))
    if len(keys) > 1:
        srows = [[f"T={t:g}, α={a:g}"] + [sl.pm(col(("distilled", key, t, a))) for key in TEACHERS] for t, a in keys]
        srows.append(["α=0 (labels only)"] + [sl.pm(col("alone"))] * len(TEACHERS))
        body.append("Sensitivity to T and α in this condition (test errors of the accelerometer student):\n")
        body.append(markdown_table(["loss", *(f"from the {name}" for name in TEACHERS.values())], srows))
    body.append("Discussion (sentences generated from the numbers above):\n")
    alone = np.array(col("alone"), dtype=float)
    for key, name in TEACHERS.items():
        d = np.array(col(("distilled", key, TEMPERATURE, ALPHA)), dtype=float) - alone
        body.append(f"- Distilled from the {name} against labels alone: {sl.judge(d, lower_is_better=True)} "
                    f"(paired t-test over seeds, 95 %): {alone.mean():.1f} → {alone.mean() + d.mean():.1f} errors; "
                    f"paired difference {sl.pm(d)}; fewer in {int(np.sum(d < 0))} of {seeds} seed(s), more in "
                    f"{int(np.sum(d > 0))}.")
    gain = np.array(col(("distilled", "acc+gyro", TEMPERATURE, ALPHA)), dtype=float) - \
        np.array(col(("distilled", "acc", TEMPERATURE, ALPHA)), dtype=float)
    t_gain = np.array(col(("teacher", "acc+gyro")), dtype=float) - np.array(col(("teacher", "acc")), dtype=float)
    body.append(f"- The gyroscope changed the teacher's errors by {sl.pm(t_gain)} and the distilled student's by "
                f"{sl.pm(gain)} (acc+gyro teacher minus acc teacher, paired by seed); for the student that is "
                f"{sl.judge(gain, lower_is_better=True)} (paired t-test, 95 %).\n")
    return body


def main(argv: list[str] | None = None) -> None:
    opts = sl.parse_args("benchmarks.privileged_basic_motions", __doc__.splitlines()[0], argv)
    clock = sl.Clock()
    sched = QUICK if opts.quick else FULL
    default = [(TEMPERATURE, ALPHA)]
    sweep = default + ([(1.0, 0.3)] if opts.quick else list(SWEEP))
    # The T/alpha sweep runs in the data-scarce condition only: with every recording the task saturates.
    by_condition = {per_class: [run_seed(seed, sched, sweep if per_class else default, per_class)
                                for seed in range(opts.seeds)] for per_class in CONDITIONS}
    write_section(SECTION, "Privileged sensors on basic-motions: accelerometer student, gyroscope teacher",
                  report(by_condition, clock, opts.seeds), command=opts.command, path=opts.results)
    sl.log(f"wrote section {SECTION} of {opts.results} ({clock.minutes()})")


if __name__ == "__main__":
    main()
