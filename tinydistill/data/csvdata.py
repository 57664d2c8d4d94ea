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

from .csvcolumns import read_columns
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
    """Read, validate and group a long-format CSV into recordings (sorted by `time` if given).

    The rows are read in chunks (csvcolumns.py): peak memory stays a few times the file's size.
    """
    import pandas as pd

    path = Path(spec.path)
    if not path.is_file():
        raise TinyDistillError(f"CSV file {path} not found; check the --csv path")
    if not spec.channels:
        raise TinyDistillError("no channels given; name the sensor columns with --channels a,b,c")
    unreadable = (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError)
    try:
        # pandas renames a repeated name to `name.1`: only the raw header row shows it.
        header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False).iloc[0].tolist()
        columns = list(pd.read_csv(path, nrows=0, dtype=str, keep_default_na=False).columns)
    except unreadable as exc:
        raise _unparsable(path, exc)
    _refuse_duplicate_columns(header, path)
    needed = {"--group": [spec.group], "--label": [spec.label], "--channels": list(spec.channels)}
    if spec.time:
        needed["--time"] = [spec.time]
    if spec.split_by:
        needed["--split-by"] = [spec.split_by]
    for option, names in needed.items():
        missing = [n for n in names if n not in columns]
        if missing:
            raise TinyDistillError(
                f"{option}: column {', '.join(map(repr, missing))} not in {path}; "
                f"its columns are {', '.join(columns)}")
    if len(set(spec.channels)) != len(spec.channels):
        raise TinyDistillError(f"--channels lists a column twice: {','.join(spec.channels)}")

    numeric = list(dict.fromkeys([*spec.channels, *([spec.time] if spec.time else [])]))
    text = list(dict.fromkeys([spec.group, spec.label, *([spec.split_by] if spec.split_by else [])]))
    try:
        read = read_columns(path, columns, numeric, text)
    except unreadable as exc:
        raise _unparsable(path, exc)
    if read.rows == 0:
        raise TinyDistillError(f"{path} has a header but no rows")
    for column in numeric:
        bad = read.numbers[column]
        if bad.bad_row is not None:
            what = "is empty" if bad.bad_cell == "" else f"holds {bad.bad_cell!r}, not a finite number"
            raise TinyDistillError(
                f"{path} row {bad.bad_row + 2}, column {column!r} {what} ({bad.bad_count} such cell(s) in that "
                "column); fill or drop those rows before training")
    for column in text:
        if read.text[column].empty_row is not None:
            raise TinyDistillError(f"{path} row {read.text[column].empty_row + 2}: column {column!r} is empty; "
                                   "every row needs a value")

    found = read.text[spec.label].ids  # label -> code, in order of first appearance
    names = sorted(found, key=_label_key)
    label_ids = np.empty(len(names), np.int64)
    label_ids[[found[n] for n in names]] = np.arange(len(names))
    labels = label_ids[read.codes(spec.label)]
    times = read.values(spec.time) if spec.time else None
    split = (read.codes(spec.split_by), read.text[spec.split_by].names) if spec.split_by else None
    group = (read.codes(spec.group), read.text[spec.group].names)
    data = read.take_matrix(spec.channels)
    del read
    recordings = _recordings(spec, group, data, labels, times, split)
    return Dataset(str(path), tuple(spec.channels), tuple(names), recordings, spec.sample_rate_hz,
                   split_by=spec.split_by)


def _unparsable(path: Path, exc: Exception) -> TinyDistillError:
    return TinyDistillError(f"cannot parse {path} as CSV ({exc}); save it as comma-separated text with a header row")


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
    split = pd.factorize(frame[split_by].to_numpy()) if split_by else None
    recordings = _recordings(spec, pd.factorize(frame[group].to_numpy()),
                             frame[list(channels)].to_numpy(dtype=np.float64),
                             labels.to_numpy(dtype=np.int64), frame[time].to_numpy(), split)
    return Dataset(str(path), tuple(channels), tuple(classes), recordings, 1.0, split_by=split_by)


def _recordings(spec: CsvSpec, group: tuple, data: np.ndarray, labels: np.ndarray, times,
                split: tuple | None) -> tuple[Recording, ...]:
    """Rows grouped into recordings, in order of first appearance (deterministic, what the user sees).

    `group` and `split` are (codes, names) with codes numbering the names in order of first appearance.
    """
    codes, rec_ids = group
    order = np.argsort(codes, kind="stable")  # each recording's rows, in file order
    recordings = []
    for rec_id, rows in zip(rec_ids, np.split(order, np.cumsum(np.bincount(codes))[:-1])):
        if times is not None:
            rows = rows[np.argsort(times[rows], kind="stable")]
        split_group = None
        if split is not None:
            values = split[0][rows]
            other = values != values[0]
            if other.any():
                first, second = split[1][values[0]], split[1][values[other][0]]
                raise TinyDistillError(
                    f"--split-by {spec.split_by}: recording {rec_id!r} has rows with {spec.split_by} "
                    f"{first!r} and {second!r}; every recording must belong to one "
                    f"{spec.split_by} (check --group and --split-by)")
            split_group = str(split[1][values[0]])
        recordings.append(Recording(str(rec_id), data[rows], labels[rows], split_group))
    return tuple(recordings)


def _refuse_duplicate_columns(header: list, path: Path) -> None:
    seen = set()
    for name in header:
        if name in seen:
            raise TinyDistillError(f"{path}: column {name!r} appears twice in the header row; "
                                   "give every column a unique name")
        seen.add(name)


def _label_key(name: str):
    # Numeric labels sort numerically (0, 1, 2, 10), text labels alphabetically.
    try:
        return (0, float(name), "")
    except ValueError:
        return (1, 0.0, name)
