"""User CSVs in long format (one row per sample) read into a Dataset, with validation.

Every problem is reported as a TinyDistillError naming the file, the row or column,
and what to change: missing file, unknown column, non-numeric or empty cell.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .datasets import Dataset, Recording
from ..errors import TinyDistillError


@dataclass(frozen=True)
class CsvSpec:
    """Where the recordings are in a CSV: recording id, label and channel columns."""

    path: str | os.PathLike
    group: str
    label: str
    channels: tuple[str, ...]
    time: str | None = None
    sample_rate_hz: float = 1.0


def read_csv(spec: CsvSpec) -> Dataset:
    """Read, validate and group a long-format CSV into recordings (sorted by `time` if given)."""
    import pandas as pd

    path = Path(spec.path)
    if not path.is_file():
        raise TinyDistillError(f"CSV file {path} not found; check the --csv path")
    if not spec.channels:
        raise TinyDistillError("no channels given; name the sensor columns with --channels a,b,c")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise TinyDistillError(f"cannot parse {path} as CSV ({exc}); save it as comma-separated text with a header row")
    needed = {"--group": [spec.group], "--label": [spec.label], "--channels": list(spec.channels)}
    if spec.time:
        needed["--time"] = [spec.time]
    for option, names in needed.items():
        missing = [n for n in names if n not in frame.columns]
        if missing:
            raise TinyDistillError(
                f"{option}: column {', '.join(map(repr, missing))} not in {path}; "
                f"its columns are {', '.join(frame.columns)}")
    if len(set(spec.channels)) != len(spec.channels):
        raise TinyDistillError(f"--channels lists a column twice: {','.join(spec.channels)}")
    if len(frame) == 0:
        raise TinyDistillError(f"{path} has a header but no rows")

    numeric = list(spec.channels) + ([spec.time] if spec.time else [])
    values = {c: _numeric_column(frame, c, path) for c in numeric}
    for col in (spec.group, spec.label):
        empty = np.flatnonzero(frame[col].str.strip() == "")
        if len(empty):
            raise TinyDistillError(f"{path} row {empty[0] + 2}: column {col!r} is empty; every row needs a value")

    names = sorted(frame[spec.label].unique(), key=_label_key)
    label_ids = {n: i for i, n in enumerate(names)}
    data = np.stack([values[c] for c in spec.channels], axis=1)
    labels = frame[spec.label].map(label_ids).to_numpy(dtype=np.int64)
    recordings = []
    # Recordings in order of first appearance: deterministic and what the user sees.
    for rec_id in dict.fromkeys(frame[spec.group]):
        rows = np.flatnonzero(frame[spec.group].to_numpy() == rec_id)
        if spec.time:
            rows = rows[np.argsort(values[spec.time][rows], kind="stable")]
        recordings.append(Recording(str(rec_id), data[rows], labels[rows]))
    return Dataset(str(path), tuple(spec.channels), tuple(names), tuple(recordings), spec.sample_rate_hz)


def _numeric_column(frame, column: str, path: Path) -> np.ndarray:
    import pandas as pd

    raw = frame[column].str.strip()
    parsed = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(parsed))
    if len(bad):
        row = bad[0]
        cell = raw.iloc[row]
        what = "is empty" if cell == "" else f"holds {cell!r}, not a finite number"
        raise TinyDistillError(
            f"{path} row {row + 2}, column {column!r} {what} ({len(bad)} such cell(s) in that column); "
            "fill or drop those rows before training")
    return parsed


def _label_key(name: str):
    # Numeric labels sort numerically (0, 1, 2, 10), text labels alphabetically.
    try:
        return (0, float(name), "")
    except ValueError:
        return (1, 0.0, name)
