"""Windows over recordings, splits by recording, and per-channel normalization.

A window of W samples ends at sample `end`; its class is the label of that last sample
(what a streaming device knows when it decides). Windows start every `hop` samples.
The teacher's window may extend past the end by `extra` samples: the intermediate-time
privileged information (Hayashi et al.) between the window and a target `horizon` ahead.
Splits are made by recording, never by window, so no recording feeds two splits (or by
a group of recordings such as a subject, when the dataset names a `split_by` column); the
normalization statistics come from the training recordings only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .recordings import Dataset, Recording
from ..errors import TinyDistillError


@dataclass(frozen=True)
class WindowPlan:
    """How windows are cut: sizes and which dataset channels each model sees."""

    window: int
    hop: int
    teacher_idx: tuple[int, ...]
    student_idx: tuple[int, ...]
    extra: int = 0          # privileged-time samples appended to the teacher's window
    lookahead: int = 0      # samples that must exist after a window's end
    horizon: int = 0        # forecast target: the sample `horizon` after the end
    predict_idx: int = 0    # dataset channel whose value is forecast


@dataclass(frozen=True)
class Windows:
    """Raw (not normalized) windows and what is known about each."""

    xs: np.ndarray          # [N, W, C_student]
    xt: np.ndarray          # [N, W + extra, C_teacher]
    label: np.ndarray       # [N] class id at the window's end
    target: np.ndarray      # [N] raw forecast target (nan without a horizon)
    rec: np.ndarray         # [N] index of the recording
    end: np.ndarray         # [N] index of the window's last sample in its recording


def check_lengths(recordings: Sequence[Recording], plan: WindowPlan) -> None:
    """Refuse recordings too short to give a single window."""
    need = plan.window + plan.lookahead
    short = [r for r in recordings if len(r.values) < need]
    if short:
        r = short[0]
        ahead = f" + {plan.lookahead} samples ahead" if plan.lookahead else ""
        raise TinyDistillError(
            f"recording {r.id!r} has {len(r.values)} samples, fewer than --window {plan.window}{ahead} "
            f"({len(short)} of {len(recordings)} recordings are that short); use a smaller --window "
            "or drop the short recordings")


def make_windows(recordings: Sequence[Recording], plan: WindowPlan, rec_indices: Sequence[int] | None = None) -> Windows:
    """Cut every recording (or those in `rec_indices`) into windows."""
    rec_indices = range(len(recordings)) if rec_indices is None else rec_indices
    xs, xt, label, target, rec, end = [], [], [], [], [], []
    W = plan.window
    for ri in rec_indices:
        r = recordings[ri]
        last_end = len(r.values) - 1 - plan.lookahead
        for e in range(W - 1, last_end + 1, plan.hop):
            if r.labels[e] < 0:  # label unknown at this sample (e.g. beyond a look-ahead)
                continue
            s = e - W + 1
            xs.append(r.values[s:e + 1][:, plan.student_idx])
            xt.append(r.values[s:e + 1 + plan.extra][:, plan.teacher_idx])
            label.append(r.labels[e])
            target.append(r.values[e + plan.horizon, plan.predict_idx] if plan.horizon else np.nan)
            rec.append(ri)
            end.append(e)
    if not xs:
        raise TinyDistillError("no windows could be cut from these recordings; use a smaller --window or --hop")
    return Windows(np.asarray(xs), np.asarray(xt), np.asarray(label, dtype=np.int64),
                   np.asarray(target, dtype=np.float64), np.asarray(rec), np.asarray(end))


def split_recordings(recordings: Sequence[Recording], seed: int,
                     fractions: tuple[float, float, float] = (0.6, 0.2, 0.2)) -> tuple[list[int], list[int], list[int]]:
    """Split recording indices into train/validation/test, stratified by each recording's majority class.

    Recordings that carry a `split_group` (e.g. their subject) are split by group instead.
    """
    if any(r.split_group is not None for r in recordings):
        return split_by_group(recordings, seed, fractions)
    if len(recordings) < 3:
        raise TinyDistillError(
            f"only {len(recordings)} recording(s): train, validation and test need at least one each; "
            "check --group, or cut long recordings into several")
    rng = np.random.default_rng(seed)
    by_class: dict[int, list[int]] = {}
    for i, r in enumerate(recordings):
        known = r.labels[r.labels >= 0]
        majority = int(np.bincount(known).argmax()) if len(known) else -1
        by_class.setdefault(majority, []).append(i)
    train, val, test = [], [], []
    for cls in sorted(by_class):
        members = list(rng.permutation(by_class[cls]))
        n = len(members)
        n_test = int(round(fractions[2] * n))
        n_val = int(round(fractions[1] * n))
        if n >= 3:  # every split gets a member of each class that has enough recordings
            n_test, n_val = max(n_test, 1), max(n_val, 1)
        test += members[:n_test]
        val += members[n_test:n_test + n_val]
        train += members[n_test + n_val:]
    for name, part in (("training", train), ("validation", val), ("test", test)):
        if not part:
            raise TinyDistillError(f"the {name} split is empty with {len(recordings)} recordings; provide more recordings")
    return sorted(map(int, train)), sorted(map(int, val)), sorted(map(int, test))


def split_by_group(recordings: Sequence[Recording], seed: int,
                   fractions: tuple[float, float, float] = (0.6, 0.2, 0.2)) -> tuple[list[int], list[int], list[int]]:
    """Split so train/validation/test get disjoint sets of `split_group` values (seeded, 60/20/20 of the values)."""
    groups = sorted({str(r.split_group) for r in recordings})
    if len(groups) < 3:
        raise TinyDistillError(
            f"--split-by: only {len(groups)} distinct value(s) ({', '.join(groups)}); train, validation and test "
            "need disjoint values, so at least 3; split by another column or by recording")
    members = [groups[i] for i in np.random.default_rng(seed).permutation(len(groups))]
    n = len(groups)
    n_test = max(1, int(round(fractions[2] * n)))
    n_val = max(1, int(round(fractions[1] * n)))
    parts = (set(members[n_test + n_val:]), set(members[n_test:n_test + n_val]), set(members[:n_test]))
    return tuple([i for i, r in enumerate(recordings) if str(r.split_group) in part] for part in parts)


def missing_classes(recordings: Sequence[Recording], split_ids, class_names: Sequence[str]) -> dict[str, list[str]]:
    """Classes present in the data but absent from a split: {"val": ["c"], ...}; empty when none are."""
    def present(ids):
        return {int(v) for i in ids for v in np.unique(recordings[i].labels) if v >= 0}

    every = present(range(len(recordings)))
    out = {}
    for name, ids in zip(("train", "val", "test"), split_ids):
        lost = sorted(every - present(ids))
        if lost:
            out[name] = [class_names[c] for c in lost]
    return out


def warn_missing_classes(recordings: Sequence[Recording], split_ids, class_names: Sequence[str]) -> dict[str, list[str]]:
    """`missing_classes`, with one warning line on stderr per split that lacks a class."""
    missing = missing_classes(recordings, split_ids, class_names)
    for name, lost in missing.items():
        print(f"warning: class {', '.join(lost)} has too few recordings to appear in the {name} split; "
              f"its {name} metrics leave it out (add recordings of it)", file=sys.stderr, flush=True)
    return missing


def fit_normalization(recordings: Sequence[Recording], rec_indices: Sequence[int], channel_idx: Sequence[int]):
    """Per-channel mean and std over every sample of the given (training) recordings."""
    values = np.concatenate([recordings[i].values[:, list(channel_idx)] for i in rec_indices])
    mean = values.mean(axis=0)
    std = values.std(axis=0)
    # A constant channel carries no information; std 1 keeps it finite instead of inf.
    std = np.where(std > 1e-8, std, 1.0)
    return mean, std


def normalize(x: np.ndarray, mean, std) -> np.ndarray:
    """(x - mean) / std on the last axis, as float32."""
    return ((x - np.asarray(mean)) / np.asarray(std)).astype(np.float32)


def targets(task, w: Windows, *, normal_id: int | None = None, target_mean: float = 0.0,
            target_std: float = 1.0) -> np.ndarray:
    """The `y` of splits.npz, as the task's `target` says: class ids, 0/1 anomalous, or the normalized future value."""
    from ..tasks import get_task

    kind = get_task(task).target
    if kind == "class":
        return w.label.astype(np.int64)
    if kind == "anomalous":
        return (w.label != normal_id).astype(np.int64)
    return ((w.target - target_mean) / target_std).astype(np.float32)


def windows_for_run(run_dir, recordings: Dataset | Sequence[Recording]) -> tuple[np.ndarray, np.ndarray]:
    """Window and normalize NEW data exactly as `train` did for the run: (x, y) like splits.npz.

    Pass a Dataset (from datasets.load / csvdata.read_csv): channels and class names are
    matched by name. A plain list of Recordings must hold the run's `channels` (or only
    its `student_channels`) in that order, with class ids of the run's labels.
    """
    from ..rundir import RunDir, open_run

    run = run_dir if isinstance(run_dir, RunDir) else open_run(os.fspath(run_dir))
    cfg = run.run_config
    forecast = cfg.task_spec.predicts
    student = list(cfg.student_channels)
    if isinstance(recordings, Dataset):
        ds = recordings
        student_idx = ds.channel_index(student)
        recs = [Recording(r.id, r.values, _remap_labels(r.labels, ds.labels, cfg)) for r in ds.recordings]
        lookahead = ds.label_lookahead
        channel_names = list(ds.channels)
    else:
        recs = list(recordings)
        width = recs[0].values.shape[1] if recs else 0
        channel_names = list(cfg.channels) if width == len(cfg.channels) else student
        if width != len(channel_names):
            raise TinyDistillError(f"recordings have {width} channels; the run expects {len(student)} "
                                   f"({', '.join(student)}) or {len(cfg.channels)}")
        student_idx = [channel_names.index(c) for c in student]
        lookahead = 0
    horizon = (cfg.horizon or 0) if forecast else 0
    plan = WindowPlan(window=cfg.window, hop=cfg.hop, teacher_idx=tuple(student_idx),
                      student_idx=tuple(student_idx), lookahead=max(lookahead, horizon), horizon=horizon,
                      predict_idx=channel_names.index(cfg.predict_channel) if forecast else 0)
    check_lengths(recs, plan)
    w = make_windows(recs, plan)
    mean, std = run.normalization_for(student)
    x = normalize(w.xs, mean, std)
    target_mean, target_std = run.normalization_for([cfg.predict_channel or student[0]])
    normal_id = cfg.classes.index(cfg.normal_class) if cfg.task_spec.target == "anomalous" else None
    y = targets(cfg.task, w, normal_id=normal_id, target_mean=target_mean[0], target_std=target_std[0])
    return x, y


def _remap_labels(labels: np.ndarray, names: Sequence[str], cfg) -> np.ndarray:
    """Class ids of a new dataset -> class ids of the run (by name); `cfg` a rundir.RunConfig."""
    known = list(cfg.classes or cfg.labels)
    if not known:
        return labels
    unknown = sorted({names[i] for i in np.unique(labels) if i >= 0} - set(known))
    if unknown:
        raise TinyDistillError(f"label(s) {', '.join(unknown)} were not in the training data "
                               f"(known: {', '.join(known)})")
    table = np.array([known.index(n) for n in names] + [-1], dtype=np.int64)
    return table[labels]
