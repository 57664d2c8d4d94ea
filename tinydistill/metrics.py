"""Test metrics written to metrics.json, from model outputs (numpy only).

- classify: `accuracy`, a fraction in [0, 1];
- forecast: `mae` in the normalized units of the predicted channel (the units of `y`
  in splits.npz), `mae_raw` in the channel's own units, and `rise_accuracy`: how often
  prediction and truth agree on rising vs not rising relative to the window's last value;
- anomaly: `auc` of the reconstruction-error score (ROC AUC, ties counted half), and
  `accuracy` of the 0/1 decision `score > threshold`.
"""

from __future__ import annotations

import numpy as np


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
    diff = np.asarray(x, np.float64) - np.asarray(reconstruction, np.float64)
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
