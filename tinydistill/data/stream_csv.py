"""Recorded streams: CSV files of raw samples, loaded and validated for streaming.

A stream CSV has a header row naming its columns. The model's channels are matched
by name, in any order (extra columns are ignored); an optional `rec` column names
the recording each row belongs to, and a change of `rec` starts a new recording
(the firmware forgets its window); an optional `label` column holds the truth.
Values are parsed with Python's float() (correctly rounded), which the firmware's
strtod() then (float) cast reproduces bit for bit; values that overflow float32 are
refused here as the device refuses them.

The device's line format (firmware/stream/td_serial_csv.h): values of at most
VALUE_MAX characters in a line of at most line_chars(C) characters; repr() of any
double fits, so device_lines() never writes a line the device would refuse.
"""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import TinyDistillError


# The smallest magnitude that rounds to infinity in float32 (FLT_MAX + half an ulp), as td_serial_csv.c.
FLOAT32_OVERFLOW = 2.0**128 - 2.0**103
# TD_SERIAL_CSV_VALUE_MAX: "-2.2250738585072014e-308" is the longest repr() of a double.
VALUE_MAX = 24
# The device's number format: sign, digits with at most one point, optional exponent.
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def line_chars(channels: int) -> int:
    """Characters of the longest line the device reads: TD_SERIAL_CSV_LINE_SIZE(C) - 1 (its NUL)."""
    return (VALUE_MAX + 1) * channels + 15


@dataclass(frozen=True)
class Stream:
    """A recorded stream, its channels in the model's order."""

    path: Path
    channels: tuple[str, ...]
    values: np.ndarray  # float64 [N, C]
    starts: np.ndarray  # bool [N]: True where a recording starts (row 0 always)
    labels: tuple[str, ...] | None  # the `label` column, as written, or None

    def __len__(self) -> int:
        return len(self.values)

    @property
    def recordings(self) -> int:
        return int(self.starts.sum())


def load_stream(path: str | os.PathLike, channels: list[str] | tuple[str, ...]) -> Stream:
    """Read `path`, picking `channels` by name; explain what is wrong with a bad file."""
    path = Path(path)
    if not path.is_file():
        raise TinyDistillError(f"stream file {path} does not exist; pass a CSV with a header row naming the channels")
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise TinyDistillError(f"stream file {path} is empty; it needs a header row and one row per sample")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in channels if c not in header]
    if missing:
        raise TinyDistillError(
            f"stream file {path} lacks the channel column(s) {', '.join(missing)}; its columns are "
            f"{', '.join(header)}. The model needs {', '.join(channels)} (any order, matched by name)."
        )
    columns = [header.index(c) for c in channels]
    rec_col = header.index("rec") if "rec" in header else None
    label_col = header.index("label") if "label" in header else None
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    if not body:
        raise TinyDistillError(f"stream file {path} has a header but no samples")
    values = np.empty((len(body), len(channels)), dtype=np.float64)
    starts = np.zeros(len(body), dtype=bool)
    previous = None
    for i, row in enumerate(body):
        line = i + 2
        if len(row) < len(header):
            raise TinyDistillError(f"{path}:{line}: {len(row)} columns where the header has {len(header)}")
        for j, col in enumerate(columns):
            try:
                v = float(row[col])
            except ValueError:
                raise TinyDistillError(
                    f"{path}:{line}: column {channels[j]} holds {row[col]!r}, not a number"
                ) from None
            if not math.isfinite(v):
                raise TinyDistillError(f"{path}:{line}: column {channels[j]} is {row[col]!r}; use finite numbers")
            if not abs(v) < FLOAT32_OVERFLOW:
                raise TinyDistillError(f"{path}:{line}: column {channels[j]} is {row[col]!r}, which overflows "
                                       "float32 (|x| > 3.4028235e38), the device's sample type")
            values[i, j] = v
        rec = row[rec_col].strip() if rec_col is not None else None
        starts[i] = i == 0 or rec != previous
        previous = rec
    labels = tuple(row[label_col].strip() for row in body) if label_col is not None else None
    return Stream(path=path, channels=tuple(channels), values=values, starts=starts, labels=labels)


def device_lines(stream: Stream) -> list[str]:
    """The stream as the firmware's serial protocol: one CSV line per sample, "reset" between recordings."""
    lines = []
    for i, row in enumerate(stream.values):
        if stream.starts[i] and i > 0:
            lines.append("reset")
        # repr() is the shortest string that strtod() turns back into the same double (<= VALUE_MAX characters)
        text = [repr(float(v)) for v in row]
        bad = [t for t, v in zip(text, row)
               if len(t) > VALUE_MAX or not _DECIMAL.fullmatch(t) or not abs(v) < FLOAT32_OVERFLOW]
        if bad:
            raise TinyDistillError(f"sample {i} holds {bad[0]}, which the device cannot read; use finite numbers within float32's range")
        lines.append(",".join(text))
    return lines
