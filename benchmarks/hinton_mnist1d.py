"""Hinton, Vinyals & Dean (2015), table 1 and the omitted-3 experiment, redone on mnist1d with the training recipe.

Regenerates the `hinton-mnist1d` section of benchmarks/RESULTS.md:

    python -m benchmarks.hinton_mnist1d            # 5 runs, 2 at a time (--jobs)
    python -m benchmarks.hinton_mnist1d --sweep-runs 0   # without the wider T/alpha sweep (half the time)
    python -m benchmarks.hinton_mnist1d --quick --results /tmp/R.md   # smoke run (one epoch per model)

mnist1d (4,000 train / 1,000 test sequences of length 40, ten digit classes) stands in
for MNIST: test errors are counted out of 1,000. The last 500 of the 4,000 training
sequences are the validation split: early stopping, T/alpha selection and the omitted
class's bias shift use it, never the test split. Every model trains as `tinydistill train`
trains its own (tinydistill/training/recipe.py: the step budget, warm-up + cosine Adam,
early stopping on validation accuracy, best-validation weights restored; T and alpha from
selection.grid("auto", "auto"); the student alone is the best of as many validation-selected
restarts as the grid has points). Pairs: an MLP pair in Hinton's shape (a wide teacher with
dropout, a narrow plain student) and the project's default Conv1D `classify` families. The
omitted-class run trains the MLP student on a transfer set with every 3 removed; only the
teacher's soft targets mention 3s.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass

import numpy as np

from benchmarks import seedlib as sl
from benchmarks import stats
from benchmarks.results import markdown_table, write_section

SECTION = "hinton-mnist1d"
TASK = "classify"
OMITTED = 3
# Run r trains with seeds STRIDE*r, STRIDE*r + 1, ... (its candidates' restarts): no two runs share a seed.
STRIDE = 100
# The wider T/alpha sweep, on validation only, for the first SWEEP_SEEDS runs.
SWEEP_T, SWEEP_ALPHA, SWEEP_SEEDS = (1.0, 4.0, 8.0), (0.3, 0.5, 0.9), 2
BIAS_GRID = np.arange(0.0, 20.01, 0.25)
PUBLISHED = {"teacher": 67, "alone": 146, "distilled": 74, "omitted": 109, "omitted_3s": 14}


@dataclass(frozen=True)
class Setup:
    """Optimizer settings (`tinydistill train`'s defaults) and the epoch cap of a smoke run."""

    batch_size: int
    learning_rate: float
    teacher_learning_rate: float
    max_epochs: int | None  # None: recipe.step_budget's own budget
    sweep_seeds: int

    @classmethod
    def default(cls, quick: bool) -> Setup:
        from tinydistill.training.train import TrainConfig

        c = TrainConfig()
        return cls(c.batch_size, c.learning_rate, c.teacher_learning_rate, 1 if quick else None,
                   0 if quick else SWEEP_SEEDS)

    def budget(self, n_train: int, role: str):
        """`train`'s budget for a `role` ("teacher" or "student") on `n_train` windows."""
        from tinydistill.training import recipe

        return recipe.step_budget(n_train, self.batch_size, self.max_epochs, role=role)


def load():
    """(x_train, y_train, x_val, y_val, x_test, y_test), normalized on the training part."""
    from tinydistill.data import datasets, windowing

    ds = datasets.load("mnist1d")
    x = np.stack([r.values for r in ds.recordings])
    y = np.array([int(r.labels[-1]) for r in ds.recordings])
    # mnist1d's own split: the first 4,000 sequences are its training set, the last 1,000 its test set.
    tr, va, te = slice(0, 3500), slice(3500, 4000), slice(4000, 5000)
    mean, std = windowing.fit_normalization(ds.recordings, range(3500), [0])
    norm = (lambda a: windowing.normalize(a, mean, std))
    return norm(x[tr]), y[tr], norm(x[va]), y[va], norm(x[te]), y[te]


def mlp(role: str, shape, n_classes: int = 10):
    """Hinton's pair shrunk to mnist1d: teacher 40-400-400-10 with dropout, student 40-40-40-10 without."""
    import keras
    from keras import layers

    width, dropout = (400, 0.3) if role == "teacher" else (40, 0.0)
    x = inp = keras.Input(shape, name="window")
    x = layers.Flatten()(x)
    x = layers.Dense(width, activation="relu")(x)
    if dropout:
        x = layers.Dropout(dropout)(x)
    x = layers.Dense(width, activation="relu", name="features")(x)
    if dropout:
        x = layers.Dropout(dropout)(x)
    out = layers.Dense(n_classes, name="logits")(x)
    return keras.Model(inp, out, name=f"mlp_{role}")


def conv(role: str, shape, n_classes: int = 10):
    """The project's Conv1D families at their default widths (what `tinydistill train` builds)."""
    from tinydistill.tasks import get_task
    from tinydistill.training import models
    from tinydistill.training.train import TrainConfig

    teacher_width, student_width = get_task(TASK).widths
    return models.build(role, TASK, shape, n_classes, teacher_width if role == "teacher" else student_width,
                        batch_norm=TrainConfig().batch_norm)


PAIRS = {"MLP": mlp, "Conv1D": conv}


def _fit_summary(info: dict) -> dict:
    return {k: info[k] for k in ("steps", "best_step", "budget_steps")}


def _val_errors(candidate: dict, n_val: int) -> int:
    return int(round((1.0 - candidate["val"]["accuracy"]) * n_val))


def train_teacher(build, data, seed: int, setup: Setup):
    """A teacher through the recipe, as `train` trains its own; returns (model, fit info)."""
    import keras

    from tinydistill.training import models, recipe

    xtr, ytr, xva, yva = data[:4]
    keras.utils.set_random_seed(seed)
    teacher = build("teacher", xtr.shape[1:])
    budget = setup.budget(len(ytr), "teacher")
    teacher.compile(optimizer=recipe.optimizer(setup.teacher_learning_rate, budget),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), **recipe.compile_options(budget))
    validate = recipe.Validator(TASK, teacher, (xtr, ytr), (xva, yva), seed)
    _, info = recipe.fit(teacher, (xtr, ytr), teacher, validate, budget, seed=seed, batch_size=setup.batch_size)
    models.recalibrate_batch_norm(teacher, xtr)
    return teacher, info


def run_pair(pair: str, run: int, data, setup: Setup) -> tuple[dict, tuple]:
    """Teacher, distilled student (T/alpha chosen on validation) and student alone (best of as many
    restarts) of one pair; returns (results, (teacher lookup model, teacher logits on the training split))."""
    from tinydistill.training import models, recipe, selection

    xtr, ytr, xva, yva, xte, yte = data
    build, seed, cpu = PAIRS[pair], STRIDE * run, time.process_time()
    teacher, t_info = train_teacher(build, data, seed, setup)
    lookup, z_tr = recipe.frozen_outputs(teacher, xtr)
    students = recipe.Candidates(lambda: build("student", xtr.shape[1:]), lookup, TASK, setup.learning_rate,
                                 setup.budget(len(ytr), "student"), batch_size=setup.batch_size)

    def fit(t, a, s):
        return students.fit({"student": xtr, "teacher": z_tr}, ytr, (xtr, ytr), (xva, yva), temperature=t, alpha=a,
                            seed=s)

    # Exactly train.py's fairness: the grid at the run's seed; the alone candidates are the grid's
    # alpha = 0 point (the same computation) and restarts at the next seeds.
    points = selection.grid("auto", "auto")
    grid = [fit(t, a, seed) for t, a in points]
    alone = [next(c for c in grid if c["alpha"] == 0)]
    alone += [fit(points[0][0], 0.0, seed + k) for k in range(1, len(points))]
    chosen, base = grid[selection.best(grid)], alone[selection.best(alone)]
    sweep = []
    if run < setup.sweep_seeds:
        sweep = [fit(t, a, seed) for t in SWEEP_T for a in SWEEP_ALPHA if (t, a) not in points]
    res = {"teacher": sl.errors(yte, sl.logits(teacher, xte)), "teacher_train": sl.errors(ytr, z_tr),
           "teacher_params": teacher.count_params(), "student_params": models.fold_batch_norm(chosen["model"]).count_params(),
           "fit": {"teacher": _fit_summary(t_info), "alone": _fit_summary(base["info"]),
                   "distilled": _fit_summary(chosen["info"])},
           "chosen": (chosen["temperature"], chosen["alpha"]), "alone_seed": base["seed"] - seed,
           "val": {(c["temperature"], c["alpha"]): _val_errors(c, len(yva)) for c in grid + sweep},
           "val_restarts": [_val_errors(c, len(yva)) for c in alone]}
    for role, c in (("alone", base), ("distilled", chosen)):
        res[role] = sl.errors(yte, sl.logits(c["model"], xte))
        res[f"{role}_train"] = sl.errors(ytr, sl.logits(c["model"], xtr))
    sl.log(f"run {run} {pair}: teacher {res['teacher']}, alone {res['alone']}, distilled {res['distilled']} test "
           f"errors (T={chosen['temperature']:g}, alpha={chosen['alpha']:g}; steps teacher {t_info['steps']}, "
           f"alone {base['info']['steps']}, distilled {chosen['info']['steps']}; {time.process_time() - cpu:.0f} s CPU)")
    return res, (lookup, z_tr)


def omitted_class(run: int, teacher, data, setup: Setup) -> dict:
    """MLP student on a transfer set without 3s: alone and distilled, each before and after the bias shift.

    Early stopping and the choice among candidates use the validation split without its 3s (the student's
    world has no labelled 3); the bias shift of the 3-logit is chosen on the full validation split.
    """
    from tinydistill.training import recipe, selection

    lookup, z_tr = teacher
    xtr, ytr, xva, yva, xte, yte = data
    keep, vkeep = ytr != OMITTED, yva != OMITTED
    seed, cpu = STRIDE * run, time.process_time()
    students = recipe.Candidates(lambda: mlp("student", xtr.shape[1:]), lookup, TASK, setup.learning_rate,
                                 setup.budget(int(keep.sum()), "student"), batch_size=setup.batch_size)

    def fit(t, a, s):
        return students.fit({"student": xtr[keep], "teacher": z_tr[keep]}, ytr[keep], (xtr[keep], ytr[keep]),
                            (xva[vkeep], yva[vkeep]), temperature=t, alpha=a, seed=s)

    # alpha = 0 cannot teach a 3: the distilled candidates are the grid's alpha > 0 points, and the student
    # alone gets as many restarts.
    points = [(t, a) for t, a in selection.grid("auto", "auto") if a > 0]
    dist = [fit(t, a, seed) for t, a in points]
    alone = [fit(points[0][0], 0.0, seed + k) for k in range(len(points))]
    res = {}
    for role, cands in (("alone", alone), ("distilled", dist)):
        c = cands[selection.best(cands)]
        z_va, z_te = sl.logits(c["model"], xva), sl.logits(c["model"], xte)
        shift = pick_bias_shift(z_va, yva)
        res[role] = {"errors": sl.errors(yte, z_te), "errors_3": _errors_on(yte, z_te),
                     "shift": shift, "errors_shifted": sl.errors(yte, _shifted(z_te, shift)),
                     "errors_3_shifted": _errors_on(yte, _shifted(z_te, shift)),
                     "chosen": (c["temperature"], c["alpha"]), "fit": _fit_summary(c["info"])}
    sl.log(f"run {run} omitted 3s: alone {res['alone']['errors_shifted']}, distilled "
           f"{res['distilled']['errors_shifted']} test errors after the bias shift ({time.process_time() - cpu:.0f} s CPU)")
    return res


def run_seed(run: int, data, setup: Setup) -> dict:
    """Every number one run contributes to the tables."""
    sl.keras_setup(STRIDE * run)  # deterministic kernels; each model reseeds itself
    out = {}
    for pair in PAIRS:
        out[pair], teacher = run_pair(pair, run, data, setup)
        if pair == "MLP":
            out["omitted"] = omitted_class(run, teacher, data, setup)
    return out


def _shifted(z: np.ndarray, shift: float) -> np.ndarray:
    # Adding `shift` to the 3-logit is the same as raising the output layer's bias for class 3.
    z = z.copy()
    z[:, OMITTED] += shift
    return z


def _errors_on(y, z, cls: int = OMITTED) -> int:
    mask = y == cls
    return int(np.sum(np.argmax(z[mask], axis=-1) != cls))


def pick_bias_shift(z_val: np.ndarray, y_val: np.ndarray) -> float:
    """The smallest bias shift of the omitted class that minimizes validation errors (grid of 0.25)."""
    errs = [sl.errors(y_val, _shifted(z_val, s)) for s in BIAS_GRID]
    return float(BIAS_GRID[int(np.argmin(errs))])


def _span(values) -> str:
    v = np.asarray(values, np.float64)
    return f"{v.mean():,.0f}" + (f" ({v.min():,.0f}–{v.max():,.0f})" if v.min() != v.max() else "")


def compare(results: list[dict]) -> dict:
    """Paired distilled − alone test errors per comparison, Holm-corrected together, and teacher − alone."""
    series = {pair: ([r[pair]["distilled"] for r in results], [r[pair]["alone"] for r in results],
                     [r[pair]["teacher"] for r in results]) for pair in PAIRS}
    series["omitted"] = ([r["omitted"]["distilled"]["errors_shifted"] for r in results],
                         [r["omitted"]["alone"]["errors_shifted"] for r in results], None)
    if len(results) < 2:
        return {}
    comps = {k: stats.paired(d, a) for k, (d, a, _) in series.items()}
    adjusted = dict(zip(comps, stats.holm([c.p for c in comps.values()])))
    out = {}
    for k, (d, a, t) in series.items():
        room = stats.paired(t, a) if t is not None else None
        has_room = room is None or stats.has_room(room, higher_is_better=False)
        out[k] = {"kd": comps[k], "p": adjusted[k], "room": room,
                  "verdict": (stats.verdict(comps[k], adjusted[k], higher_is_better=False) if has_room
                              else "no room (teacher within noise of the student alone)")}
    return out


def report(results: list[dict], data, clock, setup: Setup, jobs: int = 1) -> str:
    """The Markdown body: tables and sentences computed from the numbers."""
    xtr, ytr, xva, yva, xte, yte = data
    n_train, n_val, n_test = len(ytr), len(yva), len(yte)
    n_test_3, n_val_3 = int(np.sum(yte == OMITTED)), int(np.sum(yva == OMITTED))
    seeds = len(results)
    comps = compare(results)

    def col(pair, key):
        return [r[pair][key] for r in results]

    published = {"teacher": PUBLISHED["teacher"], "alone": PUBLISHED["alone"], "distilled": PUBLISHED["distilled"]}
    rows = []
    for pair in PAIRS:
        tp, sp = results[0][pair]["teacher_params"], results[0][pair]["student_params"]
        for role, name, params in (("teacher", "teacher", tp), ("alone", "student alone", sp),
                                   ("distilled", "student distilled (T, α chosen on validation)", sp)):
            rows.append([f"{pair} {name}", sl.pm(col(pair, role)), sl.pm(col(pair, f"{role}_train")), f"{params:,}",
                         f"{tp / params:.0f}×", published[role] if pair == "MLP" else "–"])
    body = [f"Test errors out of {n_test:,} (mean ± std over {seeds} run(s); run r trains every model with seeds "
            f"{STRIDE}·r, {STRIDE}·r + 1, …, so runs share no seed; the data split is mnist1d's own, the last "
            f"{n_val} of its 4,000 training sequences being the validation split). Hinton et al.'s MNIST figures "
            "(of 10,000 test images) are beside the MLP rows.\n",
            markdown_table(["model", "test errors", f"training errors (of {n_train:,})", "params", "compression",
                            "Hinton et al. 2015 (MNIST)"], rows)]
    budget, s_budget = setup.budget(n_train, "teacher"), setup.budget(n_train, "student")
    body.append("Models: MLP teacher 40-400-400-10 with dropout 0.3, MLP student 40-40-40-10 without "
                "regularization (Hinton's shape: wide regularized teacher, narrower plain student); Conv1D teacher "
                "and student are the project's `classify` families at their default widths (the student with batch "
                "norm, folded into its convolutions for the parameter count), the student being what "
                "`tinydistill export` deploys. Training: the recipe of `tinydistill train` "
                f"(tinydistill/training/recipe.py) with its defaults — batch {setup.batch_size}, Adam with warm-up "
                f"and cosine decay from {setup.teacher_learning_rate:g} (teachers) and {setup.learning_rate:g} "
                f"(students), a budget of {budget.steps:,} steps for teachers and {s_budget.steps:,} for students"
                + (f" (capped at {setup.max_epochs} epoch(s) in this smoke run)" if setup.max_epochs else "")
                + f" validated every {budget.period} (teachers) and {s_budget.period} (students) steps, early "
                f"stopping after {budget.patience} and {s_budget.patience} validations "
                "without progress in validation accuracy, and the best-validation weights restored. The distilled "
                "student's T and α are chosen on validation among "
                f"{', '.join(f'(T={t:g}, α={a:g})' for t, a in _grid())} (α = 0 included: distillation must win "
                f"on validation to be used); the student alone is the best on validation of {len(_grid())} "
                "restarts (the α = 0 grid point and restarts at the next seeds), as `tinydistill train` does.\n")
    body.append(_comparison_table(comps, results))
    body.append(_steps_table(results))
    body.append(_chosen_table(results))
    body.append(_sensitivity(results, n_val, setup))
    body += _omitted_section(results, n_test, n_test_3, n_val, n_val_3, comps)
    body.append("**Discussion** (sentences generated from the numbers above).\n")
    body += _discussion(results, comps, n_test_3)
    body.append("\n" + sl.runtime_line(clock, seeds)
                + (f" Runs trained {jobs} at a time, one process and one TensorFlow thread each." if jobs > 1 else "")
                + f" Per run: 2 teachers, {2 * (2 * len(_grid()) - 1)} students for the pairs, "
                f"{2 * sum(1 for _, a in _grid() if a > 0)} for the omitted class"
                + (f", and {2 * len(_sweep_points())} more for the sweep in the first {min(setup.sweep_seeds, seeds)} "
                   "run(s)" if setup.sweep_seeds else "") + ".")
    return "\n".join(body)


def _grid():
    from tinydistill.training import selection

    return selection.grid("auto", "auto")


def _sweep_points():
    return [(t, a) for t in SWEEP_T for a in SWEEP_ALPHA if (t, a) not in _grid()]


def _comparison_table(comps: dict, results: list[dict]) -> str:
    if not comps:
        return "Paired comparisons need at least two runs.\n"
    names = {"MLP": "MLP", "Conv1D": "Conv1D", "omitted": "MLP without 3s (after the bias shift)"}
    rows = []
    for k, c in comps.items():
        room = c["room"].interval() if c["room"] is not None else "–"
        share = "–"
        if k in PAIRS and c["room"] is not None and stats.has_room(c["room"], higher_is_better=False):
            g = stats.gap_closed(*(float(np.mean([r[k][role] for r in results]))
                                   for role in ("teacher", "distilled", "alone")))
            share = f"{100 * g:.0f} %" if g is not None else "–"
        rows.append([names[k], c["kd"].interval(), f"{c['kd'].p:.3f}", f"{c['p']:.3f}", room, share, c["verdict"]])
    return ("Paired differences over runs (test errors; negative = fewer errors), 95 % CI (Student t), Holm-corrected "
            "over the three distilled − alone comparisons; \"no room\" where the teacher is not ahead of the student "
            "alone beyond noise. Hinton's MNIST student closed "
            f"{100 * (PUBLISHED['alone'] - PUBLISHED['distilled']) / (PUBLISHED['alone'] - PUBLISHED['teacher']):.0f}"
            " % of its gap.\n\n"
            + markdown_table(["student", "distilled − alone [95 % CI]", "p", "Holm p", "teacher − alone [95 % CI]",
                              "gap closed", "verdict"], rows))


def _steps_table(results: list[dict]) -> str:
    rows = []
    for pair in PAIRS:
        for role in ("teacher", "alone", "distilled"):
            f = [r[pair]["fit"][role] for r in results]
            rows.append([f"{pair} {role}", _span([x["budget_steps"] for x in f]), _span([x["steps"] for x in f]),
                         _span([x["best_step"] for x in f])])
    for role in ("alone", "distilled"):
        f = [r["omitted"][role]["fit"] for r in results]
        rows.append([f"MLP {role}, no 3s", _span([x["budget_steps"] for x in f]), _span([x["steps"] for x in f]),
                     _span([x["best_step"] for x in f])])
    return ("Optimizer steps of the selected models (mean, and range over runs): the budget, the steps trained "
            "before early stopping, and the step whose weights were kept.\n\n"
            + markdown_table(["model", "budget", "steps trained", "best step"], rows))


def _chosen_table(results: list[dict]) -> str:
    rows = [[i, *(f"T={r[p]['chosen'][0]:g}, α={r[p]['chosen'][1]:g} (alone: restart {r[p]['alone_seed']})"
                  for p in PAIRS),
             f"T={r['omitted']['distilled']['chosen'][0]:g}, α={r['omitted']['distilled']['chosen'][1]:g}"]
            for i, r in enumerate(results)]
    return ("Chosen on validation, per run (restart 0 is the α = 0 grid point):\n\n"
            + markdown_table(["run", *(f"{p} student" for p in PAIRS), "MLP student without 3s"], rows))


def _sensitivity(results: list[dict], n_val: int, setup: Setup) -> str:
    keys = sorted({k for r in results for k in r["MLP"]["val"]}, key=lambda k: (k[1], k[0]))
    rows = []
    for t, a in keys:
        cells = []
        for p in PAIRS:
            v = [r[p]["val"][(t, a)] for r in results if (t, a) in r[p]["val"]]
            chosen = sum(1 for r in results if r[p]["chosen"] == (t, a))
            cells.append(sl.pm(v) + (f" ({len(v)} run(s))" if len(v) < len(results) else "")
                         + (f", chosen {chosen}×" if chosen else ""))
        label = "α=0 (student alone, restart 0)" if a == 0 else f"T={t:g}, α={a:g}"
        rows.append([label + ("" if (t, a) in _grid() else " (sweep)"), *cells])
    for k in range(1, len(_grid())):
        rows.append([f"student alone, restart {k}", *(sl.pm([r[p]["val_restarts"][k] for r in results]) for p in PAIRS)])
    sweep = (f"; the sweep points (T ∈ {{{', '.join(f'{t:g}' for t in SWEEP_T)}}} × α ∈ "
             f"{{{', '.join(f'{a:g}' for a in SWEEP_ALPHA)}}}) ran in the first {min(setup.sweep_seeds, len(results))} "
             "run(s) and are never chosen from") if setup.sweep_seeds else ""
    return (f"Sensitivity to T and α: validation errors (of {n_val}) of every candidate, at the seed of its run (the "
            "same initial weights and batch order; only the loss changes); test errors are reported only for the "
            f"selected models above{sweep}.\n\n"
            + markdown_table(["candidate", *(f"{p} student, validation errors" for p in PAIRS)], rows))


def _omitted_section(results, n_test, n_test_3, n_val, n_val_3, comps) -> list[str]:
    get = (lambda role, k: [r["omitted"][role][k] for r in results])
    rows = []
    for role, name in (("alone", "MLP student alone, no 3s"), ("distilled", "MLP student distilled, no 3s")):
        rows.append([name, sl.pm(get(role, "errors")), sl.pm(get(role, "errors_3")), sl.pm(get(role, "shift"), 2),
                     sl.pm(get(role, "errors_shifted")), sl.pm(get(role, "errors_3_shifted"))])
    alphas = ", ".join(f"(T={t:g}, α={a:g})" for t, a in _grid() if a > 0)
    return [f"Omitted class: the student's transfer set is the training set without any {OMITTED} "
            f"({n_test_3} of the {n_test:,} test sequences are 3s). Early stopping and the choice among candidates use "
            f"the validation split without its {n_val_3} 3s (no labelled 3 reaches the student's selection either); the "
            f"distilled student is the best of {alphas}, the student alone the best of as many restarts. Bias "
            f"correction as in the paper: the output bias of class {OMITTED} is raised by the shift (grid 0–20 step "
            f"0.25) that minimizes errors on the full validation split ({n_val} sequences, {n_val_3} 3s); the smallest "
            "such shift is taken.\n",
            markdown_table(["model", "errors", f"errors on {OMITTED}s", "bias shift", "errors after shift",
                            f"on {OMITTED}s after shift"], rows),
            f"Published (MNIST, 1,010 3s in the test set): 206 errors of which 133 on 3s before the shift; "
            f"{PUBLISHED['omitted']} errors, {PUBLISHED['omitted_3s']} on 3s after raising the 3-bias by 3.5.\n"]


def _discussion(results, comps: dict, n_test_3: int) -> list[str]:
    seeds = len(results)
    out = []
    for pair in PAIRS:
        teacher, alone, dist = (sl.mean([r[pair][k] for r in results]) for k in ("teacher", "alone", "distilled"))
        d = np.array([r[pair]["distilled"] - r[pair]["alone"] for r in results], dtype=float)
        line = (f"- {pair}: {alone:.1f} errors alone, {dist:.1f} distilled, teacher {teacher:.1f} (means over {seeds} "
                f"run(s)); the distilled student made fewer errors in {int(np.sum(d < 0))} run(s), more in "
                f"{int(np.sum(d > 0))}")
        c = comps.get(pair)
        if c:
            line += (f"; distilled − alone {c['kd'].interval()} errors (95 % CI), Holm p = {c['p']:.3f}: "
                     f"{c['verdict']}")
            if c["verdict"].startswith("no room"):
                line += f" (teacher − alone {c['room'].interval()})"
        out.append(line + ".")
        sel = sum(1 for r in results if r[pair]["chosen"][1] > 0)
        out.append(f"  Validation chose α > 0 in {sel} of {seeds} run(s).")
    get = (lambda role, k: sl.mean([r["omitted"][role][k] for r in results]))
    never = all(r["omitted"]["alone"]["errors_3_shifted"] == n_test_3 for r in results)
    line = (f"- Omitted 3s: trained on labels alone the student gets {get('alone', 'errors_3'):.1f} of {n_test_3} "
            f"3s wrong" + (" (a class never seen as a label is never predicted, and no bias shift up to 20 "
                           "chosen on validation changes that)" if never else "") + "; distilled, "
            f"{get('distilled', 'errors_3'):.1f} before the bias shift and {get('distilled', 'errors_3_shifted'):.1f} "
            f"after it ({100 * (1 - get('distilled', 'errors_3_shifted') / n_test_3):.0f} % of the 3s right from soft "
            f"targets alone; Hinton: {100 * (1 - 14 / 1010):.0f} %), with {get('distilled', 'errors'):.1f} → "
            f"{get('distilled', 'errors_shifted'):.1f} errors overall (the full-data distilled MLP student: "
            f"{sl.mean([r['MLP']['distilled'] for r in results]):.1f})")
    c = comps.get("omitted")
    if c:
        line += f"; distilled − alone after the shift {c['kd'].interval()} errors, Holm p = {c['p']:.3f}: {c['verdict']}"
    out.append(line + ".")
    return out


def run_all(seeds: int, data, setup: Setup, jobs: int) -> list[dict]:
    """Every run, `jobs` at a time in fresh processes (one TensorFlow thread each) or here when 1."""
    if jobs == 1 or seeds == 1:
        return [run_seed(run, data, setup) for run in range(seeds)]
    # Small models train faster as parallel single-threaded processes than as threads of one.
    os.environ.update(TF_NUM_INTRAOP_THREADS="1", TF_NUM_INTEROP_THREADS="1")
    with multiprocessing.get_context("spawn").Pool(min(jobs, seeds), maxtasksperchild=1) as pool:
        results = pool.starmap(run_seed, [(run, data, setup) for run in range(seeds)], chunksize=1)
        pool.close()
        pool.join()  # reaped workers count in the runtime line's CPU time
    return results


def main(argv: list[str] | None = None) -> None:
    import argparse
    import dataclasses
    import shlex
    import sys

    argv = sys.argv[1:] if argv is None else list(argv)
    extra = argparse.ArgumentParser(add_help=False)
    extra.add_argument("--sweep-runs", type=int, default=None,
                       help=f"runs that also train the wider T/alpha sweep (default {SWEEP_SEEDS}; 0 with --quick)")
    known, rest = extra.parse_known_args(argv)
    opts = sl.parse_args("benchmarks.hinton_mnist1d", __doc__.splitlines()[0], rest, jobs=True)
    opts = dataclasses.replace(opts, command=" ".join(["python", "-m", "benchmarks.hinton_mnist1d",
                                                       *(shlex.quote(a) for a in argv)]))
    clock = sl.Clock()
    data = load()
    setup = Setup.default(opts.quick)
    if known.sweep_runs is not None:
        setup = dataclasses.replace(setup, sweep_seeds=max(0, known.sweep_runs))
    jobs = min(opts.jobs, opts.seeds)
    results = run_all(opts.seeds, data, setup, jobs)
    write_section(SECTION, "Hinton et al. (2015) on mnist1d: distillation and the omitted class",
                  report(results, data, clock, setup, jobs), command=opts.command, path=opts.results)
    sl.log(f"wrote section {SECTION} of {opts.results} ({clock.minutes()})")


if __name__ == "__main__":
    main()
