"""Predictions of float and int8 models, and the metrics written to metrics.json (numpy only).

One place for `train`, `quantize` and `evaluate`, so their numbers are comparable:

- classify: `accuracy`, a fraction in [0, 1];
- forecast: `mae` in the normalized units of the predicted channel (the units of `y`
  in splits.npz), `mae_raw` in the channel's own units, and `rise_accuracy`: how often
  prediction and truth agree on rising vs not rising relative to the window's last value;
- anomaly: `auc` of the reconstruction-error score (ROC AUC, ties counted half), and
  `accuracy` of the 0/1 decision `score > threshold`.
"""

from __future__ import annotations

import numpy as np

from .tasks import Task, get_task


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


def accuracy(y: np.ndarray, probabilities: np.ndarray) -> float:
    """Fraction of windows whose arg-max class is the label."""
    return float(np.mean(np.argmax(probabilities, axis=-1) == y))


def mae(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(np.abs(np.ravel(pred) - np.ravel(y))))


def rise_accuracy(y: np.ndarray, pred: np.ndarray, last: np.ndarray) -> float:
    """Agreement of (pred > last) with (y > last)."""
    return float(np.mean((np.ravel(pred) > last) == (np.ravel(y) > last)))


def reconstruction_error(x: np.ndarray, reconstruction: np.ndarray) -> np.ndarray:
    """Anomaly score per window: mean squared error over samples and channels."""
    diff = np.asarray(x, np.float64) - np.asarray(reconstruction, np.float64).reshape(np.shape(x))
    return np.mean(diff.reshape(len(diff), -1) ** 2, axis=1)


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC (Mann-Whitney): the chance a random anomaly scores above a random normal window."""
    y = np.asarray(y).astype(bool)
    pos, neg = score[y], score[~y]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def threshold(train_scores: np.ndarray, quantile: float = 0.99) -> float:
    """Anomaly threshold: the `quantile` of the scores of the (normal) training windows."""
    return float(np.quantile(train_scores, quantile))


def confusion_matrix(truth: np.ndarray, pred: np.ndarray, n: int) -> np.ndarray:
    """Rows: true class, columns: predicted class."""
    m = np.zeros((n, n), dtype=np.int64)
    np.add.at(m, (np.asarray(truth, np.int64), np.asarray(pred, np.int64)), 1)
    return m


def per_class(m: np.ndarray) -> list[tuple[float, float, float, int]]:
    """(precision, recall, F1, support) per class of a confusion matrix (rows: true, columns: predicted).

    A class never predicted has precision 0, one never present recall 0 (and F1 0), as scikit-learn's
    zero_division=0.
    """
    m = np.asarray(m, np.float64)
    tp, predicted, support = np.diag(m), m.sum(axis=0), m.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return [(float(p), float(r), float(f), int(s)) for p, r, f, s in zip(precision, recall, f1, support)]


def task_metrics(task: str | Task, x: np.ndarray, y: np.ndarray, outputs: np.ndarray, *,
                 last: np.ndarray | None = None, std: float = 1.0, threshold: float | None = None) -> dict:
    """The metrics.json entry (without `params`) of `outputs` on windows `x` with targets `y`.

    `last` (forecast): the window's last value of the predicted channel, in the units of y
    (no `rise_accuracy` without it); `std`: that channel's normalization std (`mae_raw`);
    `threshold` (anomaly): the decision threshold (no `accuracy` without it).
    """
    task = get_task(task)
    n = len(y)
    if task.target == "class":
        truth = y.argmax(axis=1) if y.ndim > 1 else y
        return {"accuracy": accuracy(truth, outputs.reshape(n, -1))}
    if task.target == "future":
        pred = outputs.reshape(n, -1)[:, 0]
        result = {"mae": mae(y, pred), "mae_raw": mae(y, pred) * float(std)}
        if last is not None:
            result["rise_accuracy"] = rise_accuracy(y, pred, last)
        return result
    score = reconstruction_error(x, outputs)
    result = {"auc": auc(y, score)}
    if threshold is not None:
        result["accuracy"] = float(np.mean((score > float(threshold)) == np.asarray(y).astype(bool)))
    return result


def run_metrics(run, x: np.ndarray, y: np.ndarray, outputs: np.ndarray) -> dict:
    """task_metrics of the student of `run` (a rundir.RunDir) on student windows x, like splits.npz."""
    cfg = run.run_config
    last = None
    if cfg.task_spec.predicts and cfg.predict_channel in cfg.student_channels:
        last = x[:, -1, cfg.student_channels.index(cfg.predict_channel)]
    return task_metrics(cfg.task, x, y, outputs, last=last, std=run.target_std(), threshold=cfg.threshold)
