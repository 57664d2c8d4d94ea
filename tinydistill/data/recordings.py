"""The data model: recordings with per-sample labels, and a dataset of them.

A dataset is a list of recordings: each a [T, C] float array of samples and one class
id per sample. Windows, splits and normalization are made from it in windowing.py;
built-in datasets come from datasets.py, user CSVs from csvdata.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import TinyDistillError


@dataclass(frozen=True)
class Recording:
    """One continuous recording: `values` [T, C] float64, `labels` [T] class ids."""

    id: str
    values: np.ndarray
    labels: np.ndarray
    # Value of the dataset's `split_by` column (e.g. the subject); None: split by recording.
    split_group: str | None = None


@dataclass(frozen=True)
class Dataset:
    """Recordings plus what they mean: channel names, class names, sample rate."""

    name: str
    channels: tuple[str, ...]
    labels: tuple[str, ...]
    recordings: tuple[Recording, ...]
    sample_rate_hz: float
    # Samples a window's label looks ahead of the window end (mackey-glass: the horizon).
    label_lookahead: int = 0
    # Settings that suit this dataset when the user gives none (window, hop, ...).
    defaults: dict = field(default_factory=dict)
    # Column whose values train/val/test never share (each recording's `split_group`).
    split_by: str | None = None

    def channel_index(self, names) -> list[int]:
        """Indices of `names` among the channels, or an error naming the known ones."""
        unknown = [n for n in names if n not in self.channels]
        if unknown:
            raise TinyDistillError(
                f"unknown channel {', '.join(map(repr, unknown))} in dataset {self.name}; "
                f"its channels are {', '.join(self.channels)}")
        return [self.channels.index(n) for n in names]
