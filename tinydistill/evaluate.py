"""`evaluate`: float and int8 metrics of a run's student on recordings collected later.

Metric keys and their computation are those of `train` and `quantize` (tinydistill.scoring).
The int8 model must exist (`tinydistill quantize RUN`): evaluating never writes into the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import TinyDistillError
from .rundir import RunDir, open_run
from .scoring import confusion_matrix, predict_float, predict_int8, run_metrics


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

    def as_dict(self) -> dict:
        d = {"task": self.task, "windows": self.windows, "float": self.float_metrics, "int8": self.int8_metrics}
        if self.float_confusion is not None:
            d["labels"] = list(self.labels)
            d["float_confusion"] = self.float_confusion.tolist()
            d["int8_confusion"] = self.int8_confusion.tolist()
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


def evaluate_run(run_dir, *, csv: list[str] | None = None, dataset: str | None = None, group: str | None = None,
                 label: str | None = None, time: str | None = None) -> Evaluation:
    """Window NEW recordings (CSV files or a built-in dataset) as in training and evaluate the student.

    CSV columns default to those of RUN/test_stream.csv: `rec` (recording id), `label` and the
    student's channels by name.
    """
    from .data import datasets, windowing
    from .data.csvdata import CsvSpec

    run = run_dir if isinstance(run_dir, RunDir) else open_run(run_dir)
    cfg = run.run_config
    if bool(csv) == bool(dataset):
        raise TinyDistillError("give either --csv FILE (one or more) or --dataset NAME")
    run.int8_model()  # before any windowing work
    if dataset:
        sets = [datasets.load(dataset, horizon=cfg.horizon or 8, seed=cfg.seed)]
    else:
        spec = dict(group=group or cfg.group or "rec", label=label or cfg.label_column or "label",
                    channels=cfg.student_channels, time=time, sample_rate_hz=cfg.sample_rate_hz)
        sets = [datasets.load(CsvSpec(path=p, **spec)) for p in csv]
    xs, ys = zip(*(windowing.windows_for_run(run, ds) for ds in sets))
    return evaluate_windows(run, np.concatenate(xs), np.concatenate(ys))


def format_evaluation(ev: Evaluation) -> str:
    """Metrics side by side, then the confusion matrices for classification."""
    lines = [f"{ev.windows} windows", f"{'metric':<16}{'float':>12}{'int8':>12}"]
    for k, v in ev.float_metrics.items():
        lines.append(f"{k:<16}{v:>12.4f}{ev.int8_metrics[k]:>12.4f}")
    for title, m in (("float", ev.float_confusion), ("int8", ev.int8_confusion)):
        if m is None:
            continue
        width = max(6, *(len(s) for s in ev.labels)) + 1
        lines += ["", f"confusion matrix ({title}; rows: true class, columns: predicted)",
                  " " * width + "".join(f"{s[:width - 1]:>{width}}" for s in ev.labels)]
        lines += [f"{s:<{width}}" + "".join(f"{c:>{width}d}" for c in row) for s, row in zip(ev.labels, m)]
    return "\n".join(lines)
