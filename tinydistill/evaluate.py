"""Metrics of the float and int8 student on windows, and `evaluate` on recordings collected later.

Metric keys are those `train` writes into metrics.json: `accuracy` (fraction) for
classification, `mae` and `rise_accuracy` for forecasting (normalized units of the
predicted channel), `auc` for anomaly detection (score = mean squared reconstruction error).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import TinyDistillError
from .rundir import RunDir, open_run

PRIMARY_METRIC = {"classify": "accuracy", "forecast": "mae", "anomaly": "auc"}
HIGHER_IS_BETTER = {"accuracy": True, "mae": False, "auc": True, "rise_accuracy": True}


def predict_float(model, x: np.ndarray) -> np.ndarray:
    """The Keras model's outputs on windows `x` (float32, batched)."""
    return np.asarray(model.predict(np.asarray(x, np.float32), batch_size=256, verbose=0))


def quantize_input(interp_detail: dict, x: np.ndarray) -> np.ndarray:
    """Float windows → int8 with the model input's scale and zero point (round half to even, as numpy)."""
    scale, zero = interp_detail["quantization"]
    return np.clip(np.round(x / scale) + zero, -128, 127).astype(np.int8)


def predict_int8(tflite: bytes, x: np.ndarray) -> np.ndarray:
    """The int8 model's dequantized outputs on float windows `x`, through the reference interpreter."""
    from . import oracle

    interp = oracle.interpreter(tflite)
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    q = quantize_input(inp, np.asarray(x, np.float32))
    raw = oracle.run(tflite, q)
    scale, zero = out["quantization"]
    return ((raw.astype(np.float32) - zero) * scale).reshape(len(x), *out["shape"][1:])


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half); labels 1 = positive."""
    labels = np.asarray(labels).astype(bool).ravel()
    scores = np.asarray(scores, np.float64).ravel()
    pos, neg = scores[labels], scores[~labels]
    if len(pos) == 0 or len(neg) == 0:
        raise TinyDistillError("AUC needs both normal and anomalous windows; the data has only one kind")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order))
    values = np.concatenate([pos, neg])[order]
    i = 0
    while i < len(values):  # average ranks over ties
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def anomaly_scores(x: np.ndarray, reconstruction: np.ndarray) -> np.ndarray:
    """Mean squared reconstruction error per window."""
    diff = np.asarray(reconstruction, np.float64).reshape(len(x), -1) - np.asarray(x, np.float64).reshape(len(x), -1)
    return (diff**2).mean(axis=1)


def task_metrics(task: str, config: dict, x: np.ndarray, y: np.ndarray, outputs: np.ndarray) -> dict:
    """The metrics.json entry (without `params`) of `outputs` on windows `x` with targets `y`."""
    if task == "classify":
        pred = outputs.reshape(len(x), -1).argmax(axis=1)
        truth = y.argmax(axis=1) if y.ndim > 1 else y
        return {"accuracy": float((pred == truth).mean())}
    if task == "forecast":
        pred = outputs.reshape(len(x), -1)[:, 0]
        truth = np.asarray(y, np.float64).reshape(len(x), -1)[:, 0]
        metrics = {"mae": float(np.abs(pred - truth).mean())}
        student = list(config.get("student_channels") or [])
        predict = config.get("predict_channel") or (student[0] if student else None)
        if predict in student:  # the last value seen, in the same normalized units as y
            last = x[:, -1, student.index(predict)]
            metrics["rise_accuracy"] = float(((pred > last) == (truth > last)).mean())
        return metrics
    if task == "anomaly":
        return {"auc": auc(y, anomaly_scores(x, outputs))}
    raise TinyDistillError(f"unknown task {task!r}; expected classify, forecast or anomaly")


def confusion_matrix(truth: np.ndarray, pred: np.ndarray, n: int) -> np.ndarray:
    """Rows: true class, columns: predicted class."""
    m = np.zeros((n, n), dtype=np.int64)
    np.add.at(m, (np.asarray(truth, np.int64), np.asarray(pred, np.int64)), 1)
    return m


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
    from .quantize import ensure_int8

    if len(x) == 0:
        raise TinyDistillError("the recordings give no window; they must be at least one window long")
    config = run.config
    task = config["task"]
    model = run.load_model("student")
    tflite = ensure_int8(run).read_bytes()
    out_f, out_q = predict_float(model, x), predict_int8(tflite, x)
    mf, mq = task_metrics(task, config, x, y, out_f), task_metrics(task, config, x, y, out_q)
    labels = tuple(config.get("labels") or ())
    cf = cq = None
    if task == "classify":
        n = max(len(labels), int(out_f.reshape(len(x), -1).shape[1]))
        cf = confusion_matrix(y, out_f.reshape(len(x), -1).argmax(1), n)
        cq = confusion_matrix(y, out_q.reshape(len(x), -1).argmax(1), n)
        labels = labels or tuple(str(i) for i in range(n))
    return Evaluation(task, len(x), labels, mf, mq, cf, cq)


def evaluate_run(run_dir, *, csv: list[str] | None = None, dataset: str | None = None, group: str | None = None,
                 label: str | None = None, time: str | None = None) -> Evaluation:
    """Window NEW recordings (CSV files or a built-in dataset) as in training and evaluate the student.

    CSV columns default to those of RUN/test_stream.csv: `rec` (recording id), `label` and the
    student's channels by name.
    """
    from . import datasets, windowing
    from .csvdata import CsvSpec

    run = run_dir if isinstance(run_dir, RunDir) else open_run(run_dir)
    config = run.config
    if bool(csv) == bool(dataset):
        raise TinyDistillError("give either --csv FILE (one or more) or --dataset NAME")
    if dataset:
        sets = [datasets.load(dataset, horizon=int(config.get("horizon") or 8), seed=int(config.get("seed", 0)))]
    else:
        spec = dict(group=group or config.get("group") or "rec", label=label or config.get("label_column") or "label",
                    channels=tuple(config["student_channels"]), time=time,
                    sample_rate_hz=float(config.get("sample_rate_hz") or 1.0))
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
