"""`train`: teacher -> distilled student + baseline student, written as a run directory.

The library entry points are `TrainConfig` (every option, its default and its
validation) and `train(config, out_dir) -> RunDir`. The run directory layout is the
contract in rundir.py. Nothing is written unless the whole run succeeds.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__, atomic
from ..errors import TinyDistillError
from ..rundir import DEFAULT_SAMPLE_RATE_HZ, RunDir, write_json
from ..tasks import TASKS, get_task


# How each model trained, as metrics.json's "training" keeps it.
TRAINING_KEYS = ("steps", "best_epoch", "best_step", "budget_steps", "best_val")
# The annotations of TrainConfig's fields, as types to check option values against.
_KINDS = {"str": str, "int": int, "float": (int, float), "bool": bool, "None": type(None), "tuple[str, ...]": tuple}


@dataclass
class TrainConfig:
    """Every `train` option. Unset (None) options take the dataset's or the task's default."""

    dataset: str | None = None
    csv: str | None = None
    group: str | None = None
    label: str | None = None
    channels: tuple[str, ...] | None = None
    time: str | None = None
    sample_rate_hz: float | None = None
    split_by: str | None = None  # CSV column whose values the splits keep disjoint (e.g. subject)
    task: str = "classify"
    window: int | None = None
    hop: int | None = None
    horizon: int | None = None
    predict_channel: str | None = None
    privileged: tuple[str, ...] = ()
    privileged_time: bool | None = None  # None: on for forecast and for mackey-glass
    normal_class: str | None = None
    temperature: float | str = "auto"   # "auto": chosen on validation (selection.py)
    alpha: float | str = "auto"
    transfer: str = "none"
    hint: bool = False
    hint_weight: float = 1.0
    epochs: int | None = None           # None: the step budget of recipe.py; a number caps the epochs
    teacher_epochs: int | None = None
    batch_size: int = 32
    learning_rate: float = 3e-3
    teacher_learning_rate: float = 1e-3
    teacher_width: int | None = None
    student_width: int | None = None
    teacher_from: str | None = None  # a run directory whose trained teacher is reused (same data and split)
    streaming: bool = False  # the streamable student family (models.STREAMING_STUDENTS)
    batch_norm: bool = True  # classification students: batch norm after each convolution, folded when saved
    seed: int = 0
    # Accepted and stored here; the budget check at the end of training reads them.
    target: str | None = None
    max_flash: str | int | None = None  # "64K" from a TOML file, bytes from the command line
    max_ram: str | int | None = None
    max_latency: str | float | None = None  # "5ms" from a TOML file, seconds from the command line
    overwrite: bool = False

    def __post_init__(self):
        if isinstance(self.csv, os.PathLike):
            self.csv = os.fspath(self.csv)
        for name in ("channels", "privileged"):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, tuple(v.strip() for v in value.split(",") if v.strip()))
            elif value is not None:
                setattr(self, name, tuple(value))

    @classmethod
    def from_toml(cls, path: str | os.PathLike, **overrides) -> TrainConfig:
        """Options from a TOML file (keys as the option names, `-` or `_`); non-None `overrides` win."""
        path = Path(path)
        if not path.is_file():
            raise TinyDistillError(f"config file {path} not found; check the --config path")
        try:
            data = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise TinyDistillError(f"{path} is not valid TOML: {exc}")
        data = data.get("train", data)  # a [train] table or top-level keys
        data = {k.replace("-", "_"): v for k, v in data.items()}
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise TinyDistillError(f"{path}: unknown option(s) {', '.join(unknown)}; "
                                   "see `tinydistill train --help` for the option names")
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**data)

    def validate(self, has_data: bool = False) -> None:
        """Raise TinyDistillError for contradictory or out-of-range options (before any work).

        `has_data`: the recordings come from the caller (the Python API's arrays), not a dataset or CSV.
        """
        def bad(msg):
            raise TinyDistillError(msg)

        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            kinds = [_KINDS[k] for k in f.type.split(" | ")]
            if isinstance(value, bool) and bool not in kinds or not isinstance(value, tuple(kinds)):
                bad(f"option {f.name.replace('_', '-')} = {value!r} should be {' or '.join(f.type.split(' | '))}")
            if isinstance(value, tuple) and not all(isinstance(v, str) for v in value):
                bad(f"option {f.name.replace('_', '-')} should list column names, got {value!r}")
        if has_data and (self.dataset is not None or self.csv is not None):
            bad("give either arrays (x, y) or a dataset / CSV, not both")
        if not has_data and (self.dataset is None) == (self.csv is None):
            bad("give exactly one of --dataset NAME or --csv FILE (see `tinydistill datasets`)")
        if self.csv is not None and not (self.group and self.label and self.channels):
            bad("--csv needs --group COL (recording id), --label COL and --channels a,b,c")
        if self.split_by is not None and self.csv is None:
            bad("--split-by COL applies to --csv; built-in datasets have their own split (see `tinydistill datasets`)")
        if self.task not in TASKS:
            bad(f"--task must be one of {', '.join(TASKS)}, not {self.task!r}")
        task = TASKS[self.task]
        for name, low in (("window", 2), ("hop", 1), ("horizon", 1), ("epochs", 1), ("teacher_epochs", 1),
                          ("batch_size", 1), ("teacher_width", 1), ("student_width", 1)):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < low):
                bad(f"--{name.replace('_', '-')} must be an integer >= {low}, got {value!r}")
        from .selection import parse_auto
        from .transfer import check as check_transfer

        self.alpha = parse_auto(self.alpha, "alpha", 0.0, 1.0)
        self.temperature = parse_auto(self.temperature, "temperature", 0.0, None)
        check_transfer(self.transfer, self.task)
        if self.hint_weight < 0 or self.learning_rate <= 0 or self.teacher_learning_rate <= 0:
            bad("--hint-weight must be >= 0 and learning rates > 0")
        if self.streaming:
            from .models import STREAMING_STUDENTS

            if self.task not in STREAMING_STUDENTS:
                bad(f"--streaming has a student family for --task {', '.join(STREAMING_STUDENTS)} only, "
                    f"not {self.task}; drop --streaming")
        if self.normal_class is not None and task.target != "anomalous":
            bad(f"--normal-class only applies to --task anomaly (the task is {self.task})")
        if task.reconstructs and self.privileged_time:
            bad("--privileged-time needs a target ahead of the window: use it with --task forecast or classify")
        if self.predict_channel is not None and not task.predicts:
            bad(f"--predict-channel only applies to --task forecast (the task is {self.task})")
        if self.privileged_time and task.target == "class" and self.horizon is None and self.dataset != "mackey-glass":
            bad("--privileged-time with --task classify needs --horizon K (how far past the window the teacher sees)")


@dataclass
class Prepared:
    """The data of a run, windowed, split and normalized, with what was resolved on the way."""

    dataset: object            # datasets.Dataset
    task: str                  # a tasks.TASKS name
    channels: list             # teacher's channels (every channel), in order
    student_channels: list
    predict: str               # forecast: the predicted channel
    window: int
    hop: int
    horizon: int
    extra: int                 # privileged-time samples on the teacher's window
    classes: list              # the dataset's class names
    labels: list               # the model's output names (anomaly: normal, anomaly)
    normal_id: int | None
    split_ids: tuple
    mean: np.ndarray
    std: np.ndarray
    data: dict                 # split -> {"xs", "xt", "y", "last"}

    @property
    def student_positions(self) -> list[int]:
        return [self.channels.index(c) for c in self.student_channels]


def prepare(config: TrainConfig, data=None) -> Prepared:
    """Load (or take `data`, a data.recordings.Dataset), check, window, split (by recording) and
    normalize (training split only)."""
    from ..data import datasets, windowing
    from ..data.csvdata import CsvSpec

    config.validate(has_data=data is not None)
    horizon = config.horizon if config.horizon is not None else 8
    if data is not None:
        ds = data
    elif config.csv is not None:
        ds = datasets.load(CsvSpec(config.csv, config.group, config.label, tuple(config.channels), config.time,
                                   config.sample_rate_hz or DEFAULT_SAMPLE_RATE_HZ, config.split_by))
    else:
        ds = datasets.load(config.dataset, horizon=horizon)
    window = config.window or ds.defaults.get("window", 32)
    hop = config.hop or ds.defaults.get("hop", max(1, window // 4))
    channels = list(config.channels) if config.channels else list(ds.channels)
    ds.channel_index(channels)
    unknown_priv = [c for c in config.privileged if c not in channels]
    if unknown_priv:
        raise TinyDistillError(f"--privileged {','.join(unknown_priv)}: not among the channels {', '.join(channels)}")
    student_channels = [c for c in channels if c not in config.privileged]
    if not student_channels:
        raise TinyDistillError("--privileged names every channel; the student needs at least one channel of its own")
    task = get_task(config.task)
    forecast = task.predicts
    privileged_time = config.privileged_time
    if privileged_time is None:
        privileged_time = forecast or (task.target == "class" and ds.name == "mackey-glass")
    fc_horizon = horizon if forecast else 0
    extra = horizon - 1 if privileged_time else 0
    predict = config.predict_channel or student_channels[0]
    if forecast and predict not in student_channels:
        raise TinyDistillError(f"--predict-channel {predict!r} must be one of the student's channels "
                               f"({', '.join(student_channels)})")
    classes = list(ds.labels)
    labels, normal_id = _output_labels(task, classes, ds, config.normal_class)

    all_idx = ds.channel_index(channels)
    plan = windowing.WindowPlan(
        window=window, hop=hop, teacher_idx=tuple(all_idx), student_idx=tuple(ds.channel_index(student_channels)),
        extra=extra, lookahead=max(ds.label_lookahead, fc_horizon, extra), horizon=fc_horizon,
        predict_idx=ds.channels.index(predict))
    windowing.check_lengths(ds.recordings, plan)
    split_ids = windowing.split_recordings(ds.recordings, config.seed)
    windowing.warn_missing_classes(ds.recordings, split_ids, ds.labels)
    mean, std = windowing.fit_normalization(ds.recordings, split_ids[0], all_idx)
    s_pos = [channels.index(c) for c in student_channels]
    p = channels.index(predict)

    data = {}
    for name, ids in zip(("train", "val", "test"), split_ids):
        w = windowing.make_windows(ds.recordings, plan, ids)
        y = windowing.targets(task.name, w, normal_id=normal_id, target_mean=mean[p], target_std=std[p])
        xs = windowing.normalize(w.xs, mean[s_pos], std[s_pos])
        xt = windowing.normalize(w.xt, mean, std)
        last = xs[:, -1, student_channels.index(predict)]
        if task.reconstructs and name == "train":
            keep = y == 0  # the autoencoders learn normal windows only
            xs, xt, y, last = xs[keep], xt[keep], y[keep], last[keep]
            if not len(y):
                raise TinyDistillError(f"no normal ({classes[normal_id]}) windows in the training split; "
                                       "check --normal-class")
        data[name] = {"xs": xs, "xt": xt, "y": y, "last": last}
    if task.target == "class" and len(np.unique(data["train"]["y"])) < 2:
        raise TinyDistillError("the training split holds a single class; provide more recordings per class")
    return Prepared(ds, task.name, channels, student_channels, predict, window, hop, horizon, extra, classes, labels,
                    normal_id, split_ids, mean, std, data)


def _output_labels(task, classes: list, ds, normal_class: str | None):
    """(output label names, id of the normal class) for the task; refuses unusable labels."""
    if task.target == "class":
        present = sorted({int(v) for r in ds.recordings for v in np.unique(r.labels) if v >= 0})
        if len(present) < 2:
            raise TinyDistillError(f"the label column has a single class ({classes[present[0]] if present else 'none'}); "
                                   "classification needs at least two classes")
    if task.target != "anomalous":
        return list(task.output_labels(classes)), None
    if normal_class is None:
        if not set(classes) <= {"0", "1"}:
            raise TinyDistillError(f"--task anomaly needs --normal-class (one of {', '.join(classes)}), "
                                   "or a 0/1 label column where 1 marks anomalies")
        normal_class = "0"
    if normal_class not in classes:
        raise TinyDistillError(f"--normal-class {normal_class!r} is not a label; labels are {', '.join(classes)}")
    if len(classes) < 2:
        raise TinyDistillError("every window is normal: anomaly detection needs some anomalous recordings to test on")
    return list(task.output_labels(classes)), classes.index(normal_class)


def train(config: TrainConfig, out_dir: str | os.PathLike, progress: bool = True, *, data=None,
          teacher=None, student=None) -> RunDir:
    """Train teacher, distilled student and baseline; write and return the run directory.

    `data` (a data.recordings.Dataset, e.g. from data.arrays.from_arrays) replaces --dataset/--csv;
    `teacher` / `student` (keras.Model, logits out) replace the built-in families: each model
    trained is a fresh copy of them with new initial weights.
    """
    config.validate(has_data=data is not None)
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())) and not config.overwrite:
        raise TinyDistillError(f"{out_dir} already exists and is not empty; choose another --out or pass --overwrite")
    log = _Progress(progress)
    prep = prepare(config, data)
    d = prep.data
    log(f"data: {prep.dataset.name}, {prep.task}, windows train/val/test {len(d['train']['y'])}/{len(d['val']['y'])}/"
        f"{len(d['test']['y'])}, student channels {','.join(prep.student_channels)}"
        + (f", privileged {','.join(config.privileged)}" if config.privileged else "")
        + (f", privileged time {prep.extra} steps" if prep.extra else ""))

    teacher, students, history, widths, fit_info = _fit_models(config, prep, log, {"teacher": teacher,
                                                                                  "student": student})
    metrics, threshold = evaluate_models(prep.task, teacher, students, d, prep.std[prep.channels.index(prep.predict)])
    # How each model trained, apart from its test metrics (which quantize mirrors for student_int8).
    metrics["training"] = {role: {k: fit_info[role][k] for k in TRAINING_KEYS}
                           for role in ("teacher", "student", "baseline")}
    if "reused_from" in fit_info["teacher"]:
        metrics["training"]["teacher"]["reused_from"] = fit_info["teacher"]["reused_from"]
    metrics["selection"] = fit_info["selection"]
    write_run(out_dir, config, prep, teacher, students, history, metrics, threshold, widths)
    run = RunDir(out_dir)
    if config.target:
        _warn_if_over_budget(run, config)
    return run


def _warn_if_over_budget(run: RunDir, config: TrainConfig) -> None:
    """The budget warning of --target, on the int8 model `quantize` will write, converted in memory.

    Nothing is written: student_int8.tflite stays the product of `tinydistill quantize`
    (conversion is deterministic, so the warning describes exactly that model).
    """
    from ..deploy import analysis
    from ..deploy.budget import warn_if_over_budget
    from ..deploy.quantize import convert_int8

    tflite = convert_int8(run.load_model("student"), run.splits()["x_train"])
    warn_if_over_budget(tflite, config.target, {"max_flash": config.max_flash, "max_ram": config.max_ram,
                                                "max_latency": config.max_latency},
                        layer_names=analysis.keras_layer_names(run.file("student.keras")))


def _fit_models(config: TrainConfig, prep: Prepared, log, user_models: dict | None = None):
    """Teacher, then the distilled student (T and alpha chosen on validation) and the baseline.

    Every model trains with the recipe (recipe.py). The baseline gets as many
    validation-selected candidates as the student's grid (restarts with other seeds,
    alpha = 0), so the comparison is never best-of-N against a single run.
    """
    # TensorFlow is imported only now: bad input fails fast, without its start-up cost.
    import keras
    import tensorflow as tf

    from . import models, recipe, selection, transfer

    tf.config.experimental.enable_op_determinism()
    tf.get_logger().setLevel("ERROR")  # retracing notices: every candidate is a new model, by design
    task, data = get_task(prep.task), prep.data
    t_width, s_width = task.widths
    t_width = config.teacher_width or t_width
    s_width = config.student_width or s_width
    n_out = len(prep.classes)
    history, info = {}, {}
    user_models = user_models or {}

    def build(role, shape):
        if user_models.get(role) is not None:
            return models.from_user(user_models[role], role, shape, n_out, task.outputs_classes)
        return models.build(role, task, shape, n_out, t_width if role == "teacher" else s_width,
                            streaming=config.streaming, batch_norm=config.batch_norm)

    tr, va = data["train"], data["val"]
    if task.reconstructs:  # validation of autoencoders: on normal windows, like training
        va = {k: v[va["y"] == 0] for k, v in va.items()}
    has_val = len(va["y"]) > 0
    keras.utils.set_random_seed(config.seed)
    if config.teacher_from is not None:
        if user_models.get("teacher") is not None:
            raise TinyDistillError("give either a teacher model to train or --teacher-from RUN, not both")
        teacher, history["teacher"], info["teacher"] = reused_teacher(config.teacher_from, prep)
        log(f"teacher: reused from {config.teacher_from} (trained on this run's split), not trained again")
    else:
        teacher = build("teacher", tr["xt"].shape[1:])
        history["teacher"], info["teacher"] = fit_teacher(config, prep, teacher, log)

    # The transfer set: unlabeled augmented windows, for the soft term only.
    xs_tr, xt_tr, y_tr = tr["xs"], tr["xt"], tr["y"]
    if config.transfer == "augment":
        xt_aug = transfer.augment(tr["xt"], len(tr["y"]), config.seed)
        xs_aug = xt_aug[:, :xs_tr.shape[1]][..., prep.student_positions]
        xs_x, xt_x = np.concatenate([xs_tr, xs_aug]), np.concatenate([xt_tr, xt_aug])
        y_x = np.concatenate([y_tr, np.full(len(xt_aug), transfer.UNLABELED, dtype=y_tr.dtype)])
    hint = config.hint_weight if config.hint else 0.0
    # Without the hint loss only the teacher's outputs matter: computed once, not at every step
    # (except on mixup batches, whose windows are new at every step).
    kd_teacher = teacher
    mixup = config.transfer == "mixup"
    if not hint and not mixup:
        kd_teacher, frozen = recipe.frozen_outputs(teacher, xt_x if config.transfer == "augment" else xt_tr)
    budget = recipe.step_budget(len(y_tr), config.batch_size, config.epochs, role="student")

    slice_ = prep.student_positions if task.reconstructs else None
    candidates = recipe.Candidates(lambda: build("student", xs_tr.shape[1:]), kd_teacher, task, config.learning_rate,
                                   budget, batch_size=config.batch_size, teacher_slice=slice_, hint_weight=hint,
                                   mix_classes=n_out if mixup else None, log=log)

    def fit_student(role, temperature, alpha, seed):
        use_transfer = config.transfer == "augment" and alpha > 0
        xs, xt, y = (xs_x, xt_x, y_x) if use_transfer else (xs_tr, xt_tr, y_tr)
        if not hint and not mixup:  # the frozen teacher's outputs stand in for its inputs
            xt = frozen if use_transfer or config.transfer != "augment" else frozen[:len(y_tr)]
        return candidates.fit({"student": xs, "teacher": xt}, y, (xs_tr, y_tr), (va["xs"], va["y"]) if has_val else None,
                              temperature=temperature, alpha=alpha, seed=seed,
                              phase=f"{role} T={temperature:g} alpha={alpha:g} seed={seed}")

    points = selection.grid(config.temperature, config.alpha)
    grid = [fit_student("student", t, a, config.seed) for t, a in points]
    # Baseline candidates: seeds seed, seed+1, ...; the grid's alpha = 0 point is the same
    # computation as the first one (same seed, same data), so it is reused, not retrained.
    base = [next((c for c in grid if c["alpha"] == 0), None) or fit_student("baseline", points[0][0], 0.0, config.seed)]
    base += [fit_student("baseline", points[0][0], 0.0, config.seed + k) for k in range(1, len(points))]
    chosen, chosen_base = grid[selection.best(grid)], base[selection.best(base)]
    log(f"selected on validation: student T={chosen['temperature']:g} alpha={chosen['alpha']:g} "
        f"({_shown(task, chosen['val'])}); baseline seed {chosen_base['seed']} ({_shown(task, chosen_base['val'])}) "
        f"of {len(base)} candidates")
    # Batch norm folded into its convolution now: evaluated, counted and saved as it deploys.
    students = {"student": models.fold_batch_norm(chosen["model"]),
                "baseline": models.fold_batch_norm(chosen_base["model"])}
    history["student"], info["student"] = chosen["history"], chosen["info"]
    history["baseline"], info["baseline"] = chosen_base["history"], chosen_base["info"]

    def row(c):
        return {"temperature": c["temperature"], "alpha": c["alpha"], "seed": c["seed"], "val": c["val"],
                "best_epoch": c["info"]["best_epoch"], "steps": c["info"]["steps"]}

    info["selection"] = {
        "split": "val", "metric": list(selection.describe(task, chosen["score"])),
        "temperature": config.temperature, "alpha": config.alpha, "transfer": config.transfer,
        "grid": [row(c) for c in grid], "chosen": {"temperature": chosen["temperature"], "alpha": chosen["alpha"]},
        "baseline_candidates": [row(c) for c in base], "baseline_chosen_seed": chosen_base["seed"]}
    widths = tuple(None if user_models.get(r) is not None else w for r, w in (("teacher", t_width), ("student", s_width)))
    return teacher, students, history, widths, info


def fit_teacher(config: TrainConfig, prep: Prepared, teacher, log) -> tuple:
    """(history, fit info) of training `teacher` (built, untrained, logits or reconstruction out) on
    `prep` as `train` trains its teacher: the recipe's step budget and validation selection, then
    batch-norm recalibration. `tinydistill search` trains its shared teachers with it too."""
    import keras

    from . import models, recipe

    task, tr, va = get_task(prep.task), prep.data["train"], prep.data["val"]
    if task.reconstructs:  # validation of autoencoders: on normal windows, like training
        va = {k: v[va["y"] == 0] for k, v in va.items()}
    loss = (keras.losses.SparseCategoricalCrossentropy(from_logits=True) if task.outputs_classes else "mse")
    budget = recipe.step_budget(len(tr["y"]), config.batch_size, config.teacher_epochs)
    teacher.compile(optimizer=recipe.optimizer(config.teacher_learning_rate, budget), loss=loss,
                    **recipe.compile_options(budget))
    target = tr["xt"] if task.reconstructs else tr["y"]
    validate = recipe.Validator(task, teacher, (tr["xt"], tr["y"]), (va["xt"], va["y"]) if len(va["y"]) else None,
                                config.seed)
    history, info = _fit(teacher, (tr["xt"], target), teacher, validate, budget, config, log, "teacher", config.seed)
    models.recalibrate_batch_norm(teacher, tr["xt"])
    return history, info


def _split_record(prep: Prepared) -> dict:
    """What a run's teacher depends on besides its weights: task, channels, windows and the split.

    config.json holds these keys as written here, so `reused_teacher` compares like with like."""
    ds = prep.dataset
    return {"task": prep.task, "channels": list(prep.channels), "student_channels": list(prep.student_channels),
            "privileged_time": prep.extra, "window": prep.window, "hop": prep.hop,
            "splits": {k: [ds.recordings[i].id for i in ids] for k, ids in zip(("train", "val", "test"), prep.split_ids)}}


def reused_teacher(run_path, prep: Prepared) -> tuple:
    """(teacher outputting logits, its history, its fit info) from the trained run `run_path`.

    Refused unless that run's teacher saw exactly this run's task, channels, windows and
    train/validation/test recordings: a teacher trained on another split has seen this
    run's test recordings, and distilling from it would leak them into the student.
    """
    import keras

    from ..rundir import RunDir

    run = RunDir(Path(run_path))
    run.require("config.json", "normalization.json", "teacher.keras", "history.json", "metrics.json")
    theirs, ours = run.config, json.loads(json.dumps(_split_record(prep)))  # as config.json holds it
    differ = [k for k in ours if k != "splits" and theirs.get(k) != ours[k]]
    if differ:
        raise TinyDistillError(f"--teacher-from {run.path}: its {', '.join(differ)} differ from this run's; "
                               "give the same data, channel and window options")
    if theirs.get("splits") != ours["splits"]:
        raise TinyDistillError(f"--teacher-from {run.path}: its teacher was trained on another split of the "
                               "recordings (it has seen recordings this run tests on); give the same data "
                               "options and --seed as that run")
    norm = run.normalization
    if not (np.allclose(norm.get("mean"), prep.mean, rtol=0, atol=1e-12)
            and np.allclose(norm.get("std"), prep.std, rtol=0, atol=1e-12)):
        raise TinyDistillError(f"--teacher-from {run.path}: its normalization differs from this run's; "
                               "give the same data options as that run")
    try:
        saved = keras.models.load_model(run.file("teacher.keras"), compile=False)
    except Exception as exc:  # a damaged or foreign .keras file: Keras raises many kinds
        raise TinyDistillError(f"{run.file('teacher.keras')} cannot be loaded ({type(exc).__name__}: {exc}); "
                               "train that run again") from None
    names = [layer.name for layer in saved.layers]
    teacher = keras.Model(saved.inputs, saved.get_layer("probabilities").input) if "probabilities" in names else saved
    fit_info = run.metrics.get("training", {}).get("teacher")
    history = run._json("history.json").get("teacher")
    if not isinstance(fit_info, dict) or history is None:
        raise TinyDistillError(f"{run.path} lacks its teacher's training record; train that run again")
    return teacher, history, {**fit_info, "reused_from": str(run.path)}


def _shown(task, val: dict) -> str:
    return ", ".join(f"val {k} {v:.4f}" for k, v in val.items())


def write_run(out_dir: Path, config: TrainConfig, prep: Prepared, teacher, students, history, metrics,
              threshold, widths) -> None:
    """The run directory `out_dir` (rundir.py's layout) of trained models, written into a temporary
    directory that becomes `out_dir` only when complete.

    `students` maps roles to models ({} writes a run holding only its teacher, which --teacher-from
    takes); `widths` is (teacher width, student width) as config.json records them (None: a user model).
    """
    from . import models
    from ..data import windowing

    if get_task(prep.task).outputs_classes:
        saved = {"teacher": models.with_softmax(teacher), **{k: models.with_softmax(m) for k, m in students.items()}}
    else:
        saved = {"teacher": teacher, **students}
    ds, task = prep.dataset, prep.task
    forecast, anomaly = get_task(task).predicts, get_task(task).target == "anomalous"
    looks_ahead = forecast or prep.extra or ds.label_lookahead
    cfg = {
        **_split_record(prep),  # task, channels, windows and splits: what --teacher-from compares
        "dataset": config.dataset or (str(config.csv) if config.csv is not None else ds.name),
        "privileged": list(config.privileged),
        "horizon": prep.horizon if looks_ahead else None,
        "predict_channel": prep.predict if forecast else None,
        "sample_rate_hz": config.sample_rate_hz or ds.sample_rate_hz, "labels": prep.labels, "classes": prep.classes,
        "normal_class": prep.classes[prep.normal_id] if anomaly else None,
        "threshold": threshold, "seed": config.seed, "split_by": ds.split_by,
        "missing_classes": windowing.missing_classes(ds.recordings, prep.split_ids, ds.labels),
        "teacher_from": config.teacher_from,
        "hyperparameters": {k: getattr(config, k) for k in (
            "temperature", "alpha", "transfer", "hint", "hint_weight", "epochs", "teacher_epochs", "batch_size",
            "learning_rate", "teacher_learning_rate", "streaming", "batch_norm")} | {"teacher_width": widths[0], "student_width": widths[1]},
        "budget": {k: getattr(config, k) for k in ("target", "max_flash", "max_ram", "max_latency")},
        "tinydistill_version": __version__,
    }
    if config.csv is not None:  # how to read more of the same CSV (evaluate)
        cfg |= {"group": config.group, "label_column": config.label, "time": config.time}
    stream = _test_stream(ds, prep.split_ids[2], prep.student_channels)
    data = prep.data
    with atomic.new_directory(out_dir, overwrite=config.overwrite) as tmp:
        write_json(tmp / "config.json", cfg)
        write_json(tmp / "normalization.json", {"channels": prep.channels, "mean": [float(v) for v in prep.mean],
                                                "std": [float(v) for v in prep.std]})
        for name, model in saved.items():
            model.save(tmp / f"{name}.keras")
        np.savez(tmp / "splits.npz", **{f"{a}_{s}": data[s][k] for s in ("train", "val", "test")
                                         for a, k in (("x", "xs"), ("y", "y"))})
        atomic.write_text(tmp / "test_stream.csv", stream)
        write_json(tmp / "history.json", history)
        write_json(tmp / "metrics.json", metrics)


def _fit(model, data, selected, validate, budget, config: TrainConfig, log, phase, seed):
    """One model through the recipe; returns (history, info) with the steps trained and the best epoch."""
    from . import recipe

    return recipe.fit(model, data, selected, validate, budget, seed=seed, batch_size=config.batch_size,
                      log=log, phase=phase)


def evaluate_models(task, teacher, students, data, target_std):
    """(test metrics per role, the anomaly threshold of the float student or None): metrics.json's
    teacher / student / baseline entries."""
    from .. import scoring
    from .models import count_params

    te = data["test"]
    out = {}
    threshold = None
    if get_task(task).reconstructs:
        train_x = data["train"]["xs"]
        threshold = scoring.threshold(scoring.reconstruction_error(
            train_x, scoring.predict_float(students["student"], train_x)))
    for role, model, x in (("teacher", teacher, te["xt"]), *((r, s, te["xs"]) for r, s in students.items())):
        # the decision threshold is the distilled student's: only its accuracy is meaningful
        res = scoring.task_metrics(task, x, te["y"], scoring.predict_float(model, x), last=te["last"],
                                   std=float(target_std), threshold=threshold if role == "student" else None)
        res["params"] = count_params(model)
        out[role] = res
    return out, threshold


def _test_stream(ds, test_ids, student_channels) -> str:
    """The test recordings as one CSV stream: rec, student channels (raw), label (class name).

    The label is the dataset's class name, so `tinydistill evaluate RUN --csv test_stream.csv`
    reads it like any user CSV. Samples whose label is unknown (the look-ahead tail of a
    mackey-glass recording) are left out.
    """
    idx = ds.channel_index(student_channels)
    lines = [",".join(["rec", *student_channels, "label"])]
    for i in test_ids:
        r = ds.recordings[i]
        for row, lab in zip(r.values[:, idx], r.labels):
            if lab >= 0:
                lines.append(",".join([r.id, *(f"{v:.9g}" for v in row), ds.labels[lab]]))
    return "\n".join(lines) + "\n"


def comparison_table(run: RunDir) -> str:
    """Teacher / distilled student / baseline side by side, from metrics.json."""
    metrics, cfg = run.metrics, run.run_config
    keys = cfg.task_spec.table
    rows = [("model", "inputs", "params", *(f"test {k}" for k in keys), "steps", "best step")]
    inputs = {"teacher": ",".join(cfg.channels) + (f" +{cfg.privileged_time} future" if cfg.privileged_time else ""),
              "student": ",".join(cfg.student_channels), "baseline": ",".join(cfg.student_channels)}
    names = {"teacher": "teacher", "student": "student (distilled)", "baseline": "baseline (no KD)"}
    for role in ("teacher", "student", "baseline"):
        r, fit = metrics[role], metrics.get("training", {}).get(role, {})
        rows.append((names[role], inputs[role], f"{r['params']:,}", *(f"{r[k]:.3f}" for k in keys),
                     str(fit.get("steps", "")), str(fit.get("best_step", ""))))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(0, "metrics on the test split; models and T/alpha selected on the validation split")
    sel = metrics.get("selection")
    if sel:
        grid = ", ".join(f"T={g['temperature']:g} a={g['alpha']:g}: {_first(g['val'])}" for g in sel["grid"])
        base = ", ".join(f"seed {g['seed']}: {_first(g['val'])}" for g in sel["baseline_candidates"])
        lines.append(f"student: T={sel['chosen']['temperature']:g} alpha={sel['chosen']['alpha']:g} "
                     f"chosen on validation ({grid})")
        lines.append(f"baseline: seed {sel['baseline_chosen_seed']} chosen among {len(sel['baseline_candidates'])} "
                     f"restarts ({base})")
    return "\n".join(lines)


def _first(val: dict) -> str:
    k, v = next(iter(val.items()))
    return f"val {k} {v:.3f}"


class _Progress:
    """One short line per phase on stderr (not Keras' progress bars)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, message: str) -> None:
        if self.enabled:
            print(message, file=sys.stderr, flush=True)


__all__ = ["TrainConfig", "train", "prepare", "Prepared", "fit_teacher", "reused_teacher", "evaluate_models",
           "write_run", "comparison_table", "TASKS"]
