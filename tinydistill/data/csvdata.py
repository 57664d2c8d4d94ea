"""User CSVs in long format (one row per sample) read into a Dataset, with validation.

Every problem is reported as a TinyDistillError naming the file, the row or column,
and what to change: missing file, unknown or duplicated column, non-numeric or empty
cell, a recording spanning two values of the --split-by column. The CSVs shipped in
datasets/ are trusted and read faster by `read_shipped_csv`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .recordings import Dataset, Recording
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
    # Column whose values the splits keep disjoint (e.g. subject); None: split by recording.
    split_by: str | None = None


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
        # pandas renames a repeated name to `name.1`: only the raw header row shows it.
        header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False).iloc[0].tolist()
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise TinyDistillError(f"cannot parse {path} as CSV ({exc}); save it as comma-separated text with a header row")
    _refuse_duplicate_columns(header, path)
    needed = {"--group": [spec.group], "--label": [spec.label], "--channels": list(spec.channels)}
    if spec.time:
        needed["--time"] = [spec.time]
    if spec.split_by:
        needed["--split-by"] = [spec.split_by]
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
    for col in (spec.group, spec.label, *([spec.split_by] if spec.split_by else [])):
        empty = np.flatnonzero(frame[col].str.strip() == "")
        if len(empty):
            raise TinyDistillError(f"{path} row {empty[0] + 2}: column {col!r} is empty; every row needs a value")

    names = sorted(frame[spec.label].unique(), key=_label_key)
    label_ids = {n: i for i, n in enumerate(names)}
    data = np.stack([values[c] for c in spec.channels], axis=1)
    labels = frame[spec.label].map(label_ids).to_numpy(dtype=np.int64)
    recordings = _recordings(frame, spec, data, labels, values[spec.time] if spec.time else None)
    return Dataset(str(path), tuple(spec.channels), tuple(names), recordings, spec.sample_rate_hz,
                   split_by=spec.split_by)


def read_shipped_csv(filename: str, *, group: str, label: str, channels: tuple[str, ...], time: str,
                     dtypes: dict, classes: tuple[str, ...], split_by: str | None = None) -> Dataset:
    """A CSV of datasets/ (known columns, no bad cells): parsed with explicit dtypes, classes in `classes` order."""
    import pandas as pd

    from ..resources import datasets_dir

    path = datasets_dir() / filename
    frame = pd.read_csv(path, dtype={group: str, time: np.int64, **dict.fromkeys(channels, np.float64), **dtypes})
    labels = frame[label].map({c: i for i, c in enumerate(classes)})
    if labels.isna().any():
        raise TinyDistillError(f"{path}: unexpected {label} {frame[label][labels.isna()].iloc[0]!r}; reinstall tinydistill")
    spec = CsvSpec(path, group, label, channels, time, split_by=split_by)
    recordings = _recordings(frame, spec, frame[list(channels)].to_numpy(dtype=np.float64),
                             labels.to_numpy(dtype=np.int64), frame[time].to_numpy())
    return Dataset(str(path), tuple(channels), tuple(classes), recordings, 1.0, split_by=split_by)


def _recordings(frame, spec: CsvSpec, data: np.ndarray, labels: np.ndarray, times) -> tuple[Recording, ...]:
    """Rows grouped into recordings, in order of first appearance (deterministic, what the user sees)."""
    import pandas as pd

    codes, rec_ids = pd.factorize(frame[spec.group].to_numpy())
    order = np.argsort(codes, kind="stable")  # each recording's rows, in file order
    groups = frame[spec.split_by].to_numpy() if spec.split_by else None
    recordings = []
    for rec_id, rows in zip(rec_ids, np.split(order, np.cumsum(np.bincount(codes))[:-1])):
        if times is not None:
            rows = rows[np.argsort(times[rows], kind="stable")]
        split_group = None
        if groups is not None:
            values = groups[rows]
            other = values != values[0]
            if other.any():
                raise TinyDistillError(
                    f"--split-by {spec.split_by}: recording {rec_id!r} has rows with {spec.split_by} "
                    f"{values[0]!r} and {values[other][0]!r}; every recording must belong to one "
                    f"{spec.split_by} (check --group and --split-by)")
            split_group = str(values[0])
        recordings.append(Recording(str(rec_id), data[rows], labels[rows], split_group))
    return tuple(recordings)


def _refuse_duplicate_columns(header: list, path: Path) -> None:
    seen = set()
    for name in header:
        if name in seen:
            raise TinyDistillError(f"{path}: column {name!r} appears twice in the header row; "
                                   "give every column a unique name")
        seen.add(name)


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
