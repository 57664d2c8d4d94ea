"""NumPy arrays as a Dataset, for the Python API: one recording per row (or per array of a list).

`x` is [N, T, C] (N recordings of T samples and C channels), [N, T] (one channel), or a list
of [T_i, C] arrays of different lengths; `y` holds one label per recording or one per sample
([N, T], or a list of [T_i]). Labels may be strings or integers; their sorted distinct values
become the class names. `groups` (one value per recording, e.g. the subject) keeps
train/validation/test apart by group, as `train --csv --split-by` does.
"""

from __future__ import annotations

import numpy as np

from ..errors import TinyDistillError
from .recordings import Dataset, Recording


def _as_recordings(x) -> list[np.ndarray]:
    if isinstance(x, np.ndarray):
        if x.ndim == 2:
            x = x[:, :, None]
        if x.ndim != 3:
            raise TinyDistillError(f"x has shape {x.shape}; give [recordings, samples, channels], "
                                   "[recordings, samples] or a list of [samples, channels] arrays")
        return [np.asarray(r, np.float64) for r in x]
    out = []
    for i, r in enumerate(x):
        r = np.asarray(r, np.float64)
        r = r[:, None] if r.ndim == 1 else r
        if r.ndim != 2 or len(r) == 0:
            raise TinyDistillError(f"x[{i}] has shape {r.shape}; each recording is [samples, channels]")
        out.append(r)
    if not out:
        raise TinyDistillError("x holds no recordings")
    return out


def from_arrays(x, y, *, channels=None, groups=None, sample_rate_hz: float = 1.0, name: str = "arrays") -> Dataset:
    """A Dataset of the recordings in `x` labelled by `y` (see the module docstring)."""
    values = _as_recordings(x)
    widths = {v.shape[1] for v in values}
    if len(widths) != 1:
        raise TinyDistillError(f"recordings have different channel counts {sorted(widths)}; give every one the same")
    n_channels = widths.pop()
    channels = tuple(channels) if channels is not None else tuple(f"ch{i}" for i in range(n_channels))
    if len(channels) != n_channels or len(set(channels)) != len(channels):
        raise TinyDistillError(f"channels: {len(channels)} names ({len(set(channels))} distinct) for "
                               f"{n_channels} channels; give one distinct name per channel")
    if not all(np.isfinite(v).all() for v in values):
        raise TinyDistillError("x holds NaN or infinite values; clean or interpolate them first")
    per_sample = [np.asarray(lab).reshape(-1) for lab in (y if not np.isscalar(y) else [y])]
    if len(per_sample) == len(values) and all(len(lab) == len(v) for lab, v in zip(per_sample, values)):
        labels = per_sample
    else:
        flat = np.asarray(y).reshape(-1)
        if len(flat) != len(values):
            raise TinyDistillError(f"y has {len(flat)} labels for {len(values)} recordings; give one label per "
                                   "recording or one per sample")
        labels = [np.full(len(v), lab) for v, lab in zip(values, flat)]
    classes = tuple(str(c) for c in sorted({v for lab in labels for v in lab.tolist()}, key=lambda v: (str(type(v)), v)))
    index = {c: i for i, c in enumerate(classes)}
    if groups is not None and len(groups) != len(values):
        raise TinyDistillError(f"groups has {len(groups)} values for {len(values)} recordings; give one per recording")
    recordings = tuple(
        Recording(f"r{i:05d}", v, np.array([index[str(c)] for c in lab.tolist()], np.int64),
                  None if groups is None else str(groups[i]))
        for i, (v, lab) in enumerate(zip(values, labels)))
    if sample_rate_hz <= 0:
        raise TinyDistillError(f"sample_rate_hz must be positive, got {sample_rate_hz}")
    return Dataset(name, channels, classes, recordings, float(sample_rate_hz),
                   split_by="groups" if groups is not None else None)
