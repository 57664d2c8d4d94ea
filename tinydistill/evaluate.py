"""Metrics of the float and int8 student on windows, and `evaluate` on recordings collected later.

Metric keys and their computation are those of `train` (tinydistill.metrics): `accuracy`
(fraction) for classification; `mae`, `mae_raw` and `rise_accuracy` for forecasting; `auc`
(score = mean squared reconstruction error) and `accuracy` at the run's threshold for anomaly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import TinyDistillError
from .rundir import RunDir, open_run

PRIMARY_METRIC = {"classify": "accuracy", "forecast": "mae", "anomaly": "auc"}
HIGHER_IS_BETTER = {"accuracy": True, "mae": False, "mae_raw": False, "auc": True, "rise_accuracy": True}


def predict_float(model, x: np.ndarray) -> np.ndarray:
    """The Keras model's outputs on windows `x` (float32, batched)."""
    import tensorflow as tf

    # A tf.data input: Keras' numpy adapter builds a dataset op that this TensorFlow
    # logs an error line about (see train._fit).
    batches = tf.data.Dataset.from_tensor_slices(np.asarray(x, np.float32)).batch(256)
    return np.asarray(model.predict(batches, verbose=0))


def quantize_input(interp_detail: dict, x: np.ndarray) -> np.ndarray:
    """Float windows → int8 with the model input's scale and zero point.

    Rounds half away from zero, as the device's streaming code (firmware/stream) does.
    """
    scale, zero = interp_detail["quantization"]
    v = np.asarray(x, np.float64) / scale
    return np.clip(np.sign(v) * np.floor(np.abs(v) + 0.5) + zero, -128, 127).astype(np.int8)


def predict_int8(tflite: bytes, x: np.ndarray) -> np.ndarray:
    """The int8 model's dequantized outputs on float windows `x`, through the reference interpreter."""
    from . import oracle

    interp = oracle.interpreter(tflite)
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    q = quantize_input(inp, np.asarray(x, np.float32))
    raw = oracle.run(tflite, q)
    scale, zero = out["quantization"]
    return ((raw.astype(np.float32) - zero) * scale).reshape(len(x), *out["shape"][1:])


def target_std(run: RunDir) -> float:
    """The predicted channel's normalization std (forecast `mae_raw` = `mae` × it); 1.0 otherwise."""
    config = run.config
    predict = config.get("predict_channel")
    if config.get("task") != "forecast" or not predict:
        return 1.0
    norm = run.normalization
    return float(norm["std"][norm["channels"].index(predict)])


def task_metrics(task: str, config: dict, x: np.ndarray, y: np.ndarray, outputs: np.ndarray,
                 std: float = 1.0) -> dict:
    """The metrics.json entry (without `params`) of `outputs` on windows `x` with targets `y`.

    Computed with tinydistill.metrics, as `train` computes the `student` entry.
    """
    from . import metrics as m

    if task == "classify":
        truth = y.argmax(axis=1) if y.ndim > 1 else y
        return {"accuracy": m.accuracy(truth, outputs.reshape(len(x), -1))}
    if task == "forecast":
        pred = outputs.reshape(len(x), -1)[:, 0]
        result = {"mae": m.mae(y, pred), "mae_raw": m.mae(y, pred) * std}
        student = list(config.get("student_channels") or [])
        predict = config.get("predict_channel") or (student[0] if student else None)
        if predict in student:  # the window's last value, in the normalized units of y
            result["rise_accuracy"] = m.rise_accuracy(y, pred, x[:, -1, student.index(predict)])
        return result
    if task == "anomaly":
        score = m.reconstruction_error(x, outputs.reshape(x.shape))
        result = {"auc": m.auc(y, score)}
        if config.get("threshold") is not None:
            result["accuracy"] = float(np.mean((score > float(config["threshold"])) == np.asarray(y).astype(bool)))
        return result
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
    from .deploy.quantize import ensure_int8

    if len(x) == 0:
        raise TinyDistillError("the recordings give no window; they must be at least one window long")
    config = run.config
    task = config["task"]
    model = run.load_model("student")
    tflite = ensure_int8(run).read_bytes()
    out_f, out_q = predict_float(model, x), predict_int8(tflite, x)
    std = target_std(run)
    mf, mq = task_metrics(task, config, x, y, out_f, std), task_metrics(task, config, x, y, out_q, std)
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
    from .data import datasets, windowing
    from .data.csvdata import CsvSpec

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
