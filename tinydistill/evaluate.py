"""`evaluate`: float and int8 metrics of a run's student on recordings collected later.

Metric keys and their computation are those of `train` and `quantize` (tinydistill.scoring).
The int8 model must exist (`tinydistill quantize RUN`): evaluating never writes into the run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .errors import TinyDistillError
from .rundir import RunDir, open_run
from .scoring import confusion_matrix, per_class, predict_float, predict_int8, run_metrics

SPLITS = ("all", "train", "val", "test")


@dataclass(frozen=True)
class Evaluation:
    """Float and int8 metrics of the student on new windows (and confusion matrices when classifying)."""

    task: str
    windows: int
    labels: tuple[str, ...]
    float_metrics: dict
    int8_metrics: dict
    float_confusion: np.ndarray | None
    int8_confusion: np.ndarray | None
    split: str = "all"  # which recordings: all, or the run's train / val / test split
    source: str = ""  # the dataset or CSV files, as given

    def as_dict(self) -> dict:
        d = {"task": self.task, "windows": self.windows, "split": self.split, "source": self.source,
             "float": self.float_metrics, "int8": self.int8_metrics}
        if self.float_confusion is not None:
            d["labels"] = list(self.labels)
            for kind, m in (("float", self.float_confusion), ("int8", self.int8_confusion)):
                d[f"{kind}_confusion"] = m.tolist()
                d[f"{kind}_per_class"] = [{"label": lab, "precision": p, "recall": r, "f1": f, "support": n}
                                          for lab, (p, r, f, n) in zip(self.labels, per_class(m))]
        return d


def evaluate_windows(run: RunDir, x: np.ndarray, y: np.ndarray) -> Evaluation:
    """Float and int8 metrics of RUN's student on windows x, y (normalized like splits.npz)."""
    if len(x) == 0:
        raise TinyDistillError("the recordings give no window; they must be at least one window long")
    cfg = run.run_config
    tflite = run.int8_model().read_bytes()
    model = run.load_model("student")
    out_f, out_q = predict_float(model, x), predict_int8(tflite, x)
    mf, mq = run_metrics(run, x, y, out_f), run_metrics(run, x, y, out_q)
    labels = cfg.labels
    cf = cq = None
    if cfg.task_spec.outputs_classes:
        n = max(len(labels), int(out_f.reshape(len(x), -1).shape[1]))
        cf = confusion_matrix(y, out_f.reshape(len(x), -1).argmax(1), n)
        cq = confusion_matrix(y, out_q.reshape(len(x), -1).argmax(1), n)
        labels = labels or tuple(str(i) for i in range(n))
    return Evaluation(cfg.task, len(x), labels, mf, mq, cf, cq)


def split_recordings(run: RunDir, ds, split: str | None):
    """(dataset restricted to `split`, the split's name) of a built-in dataset.

    The run's own dataset defaults to its test split: its other recordings trained or selected the
    model. Another dataset has no split in this run: all of it (asking for a split is an error).
    """
    cfg = run.run_config
    splits = cfg.raw.get("splits")
    own = ds.name == cfg.dataset and isinstance(splits, dict)
    if split is not None and split not in SPLITS:
        raise TinyDistillError(f"--split {split!r} is not one of: {', '.join(SPLITS)}")
    if not own:
        if split not in (None, "all"):
            raise TinyDistillError(f"the run was trained on {cfg.dataset!r}, not {ds.name!r}: no recording of "
                                   f"{ds.name!r} is in its {split} split; use --split all")
        return ds, "all"
    split = split or "test"
    if split == "all":
        return ds, split
    keep = set(splits.get(split, []))
    return replace(ds, recordings=tuple(r for r in ds.recordings if r.id in keep)), split


def evaluate_run(run_dir, *, csv: list[str] | None = None, dataset: str | None = None, group: str | None = None,
                 label: str | None = None, time: str | None = None, split: str | None = None) -> Evaluation:
    """Window NEW recordings (CSV files or a built-in dataset) as in training and evaluate the student.

    CSV columns default to those of RUN/test_stream.csv: `rec` (recording id), `label` and the
    student's channels by name. A built-in dataset the run was trained on is scored on `split`
    (default: test; all, train, val or test); CSV files are scored whole.
    """
    from .data import datasets, windowing
    from .data.csvdata import CsvSpec

    run = run_dir if isinstance(run_dir, RunDir) else open_run(run_dir)
    cfg = run.run_config
    if bool(csv) == bool(dataset):
        raise TinyDistillError("give either --csv FILE (one or more) or --dataset NAME")
    run.int8_model()  # before any windowing work
    if dataset:
        ds, split = split_recordings(run, datasets.load(dataset, horizon=cfg.horizon or 8, seed=cfg.seed), split)
        sets = [ds]
    else:
        if split not in (None, "all"):
            raise TinyDistillError("--split applies to a built-in dataset (--dataset); CSV files are scored whole")
        split = "all"
        spec = dict(group=group or cfg.group or "rec", label=label or cfg.label_column or "label",
                    channels=cfg.student_channels, time=time, sample_rate_hz=cfg.sample_rate_hz)
        sets = [datasets.load(CsvSpec(path=p, **spec)) for p in csv]
    xs, ys = zip(*(windowing.windows_for_run(run, ds) for ds in sets))
    ev = evaluate_windows(run, np.concatenate(xs), np.concatenate(ys))
    return replace(ev, split=split, source=dataset or ", ".join(map(str, csv)))


def format_evaluation(ev: Evaluation) -> str:
    """Metrics side by side, then the confusion matrices for classification."""
    where = f"the {ev.split} split of {ev.source}" if ev.split != "all" else (ev.source or "the recordings")
    lines = [f"{ev.windows} windows of {where}", f"{'metric':<16}{'float':>12}{'int8':>12}"]
    for k, v in ev.float_metrics.items():
        lines.append(f"{k:<16}{v:>12.4f}{ev.int8_metrics[k]:>12.4f}")
    for title, m in (("float", ev.float_confusion), ("int8", ev.int8_confusion)):
        if m is None:
            continue
        width = max(6, *(len(s) for s in ev.labels)) + 1
        lines += ["", f"confusion matrix ({title}; rows: true class, columns: predicted)",
                  " " * width + "".join(f"{s[:width - 1]:>{width}}" for s in ev.labels)]
        lines += [f"{s:<{width}}" + "".join(f"{c:>{width}d}" for c in row) for s, row in zip(ev.labels, m)]
        lines += ["", f"per class ({title})", f"{'class':<{width}}{'precision':>11}{'recall':>9}{'F1':>9}{'support':>9}"]
        lines += [f"{s:<{width}}{p:>11.3f}{r:>9.3f}{f:>9.3f}{n:>9d}" for s, (p, r, f, n) in zip(ev.labels, per_class(m))]
    return "\n".join(lines)
