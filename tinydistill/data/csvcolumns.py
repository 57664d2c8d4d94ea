"""The columns of a user CSV read in chunks: numbers as float64, text as integer codes.

Reading the whole file as Python strings costs ~10-70x its size in memory; here only
one chunk of rows is ever held as text, so the peak stays near the size of the arrays
kept (8 bytes per number, 4 per text cell).

Numbers are converted exactly as `pd.to_numeric(cell.strip())` converts them (what
this reader always did). pandas' C parser converts ~5x faster and gives the same double
for "plain" cells — at most 15 digits, an exponent of at most 7, no integer `-0`, no
`true`/`false` (which the C parser reads as 1/0) — but not always for others (it rounds
correctly, to_numeric does not beyond 17 digits or 1e22). So a byte scan picks it when
every number-like token of the file is plain, and a cell it cannot convert to a finite
number sends the file down the exact path, which also finds and counts the bad cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

CHUNK_ROWS = 100_000
_SCAN_BYTES = 1 << 22


@dataclass
class NumberColumn:
    """A numeric column: its values and the first cell that is not a finite number."""

    parts: list = field(default_factory=list)
    bad_row: int | None = None  # 0-based data row of the first bad cell
    bad_cell: str = ""
    bad_count: int = 0


@dataclass
class TextColumn:
    """A text column as codes into `names` (in order of first appearance)."""

    parts: list = field(default_factory=list)
    ids: dict = field(default_factory=dict)
    empty_row: int | None = None  # 0-based data row of the first empty or blank cell

    @property
    def names(self) -> list:
        return list(self.ids)


@dataclass
class Columns:
    """What `read_columns` returns: row count, float64 numbers and int32 text codes by column."""

    rows: int
    numbers: dict[str, NumberColumn]
    text: dict[str, TextColumn]

    def values(self, column: str) -> np.ndarray:
        return _joined(self.numbers[column].parts, np.float64)

    def take_matrix(self, names) -> np.ndarray:
        """[rows, len(names)] float64 of these numeric columns; their chunks are released as they are copied."""
        out = np.empty((self.rows, len(names)))
        for j, name in enumerate(names):
            parts, start = self.numbers[name].parts, 0
            while parts:
                part = parts.pop(0)
                out[start:start + len(part), j] = part
                start += len(part)
        return out

    def codes(self, column: str) -> np.ndarray:
        return _joined(self.text[column].parts, np.int32)


class _NotPlain(Exception):
    """The fast path met a cell it cannot convert the way the exact path does."""


def read_columns(path, columns: list[str], numeric: list[str], text: list[str]) -> Columns:
    """Read `numeric` and `text` columns of the CSV at `path` (its header names `columns`).

    Raises pandas' ParserError / EmptyDataError or UnicodeDecodeError for a file that is not CSV.
    """
    if not set(numeric) & set(text) and _plain_numbers(path):
        try:
            return _read(path, columns, numeric, text, fast=True)
        except _NotPlain:
            pass
    return _read(path, columns, numeric, text, fast=False)


def _read(path, columns: list[str], numeric: list[str], text: list[str], fast: bool) -> Columns:
    import pandas as pd

    # Every column is parsed (usecols would stop pandas refusing rows with extra fields);
    # only one chunk of the unused ones exists at a time.
    dtype = {**dict.fromkeys(columns, str), **dict.fromkeys(numeric, np.float64 if fast else str)}
    numbers = {c: NumberColumn() for c in numeric}
    texts = {c: TextColumn() for c in text}
    rows = 0
    reader = pd.read_csv(path, dtype=dtype, keep_default_na=False, chunksize=CHUNK_ROWS)
    with reader:
        while True:
            try:
                chunk = next(reader)
            except StopIteration:
                break
            except pd.errors.ParserError:
                raise
            except ValueError as exc:  # a numeric cell the C parser cannot convert
                if fast:
                    raise _NotPlain from exc
                raise
            for c, col in numbers.items():
                (_add_plain if fast else _add_exact)(col, chunk[c], rows)
            for c, col in texts.items():
                _add_text(col, chunk[c].to_numpy(dtype=object), rows)
            rows += len(chunk)
    return Columns(rows, numbers, texts)


def _add_plain(col: NumberColumn, series, offset: int) -> None:
    values = series.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise _NotPlain
    col.parts.append(values)


def _add_exact(col: NumberColumn, series, offset: int) -> None:
    import pandas as pd

    raw = series.str.strip()
    parsed = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(parsed))
    if len(bad):
        if col.bad_row is None:
            col.bad_row, col.bad_cell = offset + int(bad[0]), raw.iloc[bad[0]]
        col.bad_count += len(bad)
    col.parts.append(parsed)


def _add_text(col: TextColumn, values: np.ndarray, offset: int) -> None:
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    lut = np.fromiter((col.ids.setdefault(u, len(col.ids)) for u in uniques), np.int32, len(uniques))
    col.parts.append(lut[codes])
    if col.empty_row is None:
        blank = [k for k, u in enumerate(uniques) if not isinstance(u, str) or u.strip() == ""]
        if blank:  # codes number the uniques in order of first appearance
            col.empty_row = offset + int(np.flatnonzero(codes == blank[0])[0])


def _joined(parts: list, dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)


def _plain_numbers(path) -> bool:
    """Whether every number-like token of the file is one both converters read alike (conservative)."""
    from pandas.io.common import get_handle

    with get_handle(path, "rb", compression="infer", is_text=False) as handles:
        tail = b""
        while block := handles.handle.read(_SCAN_BYTES):
            if not _plain_block(tail + block):
                return False
            tail = block[-32:]  # longer than any pattern, so none hides across a block boundary
    return True


# Digits and dots to "1", every other byte to "0": a run of 16 is a number that may hold 16+ digits.
_RUNS = bytes(ord("1") if chr(i) in "0123456789." else ord("0") for i in range(256))
# An exponent above 7 (bytes are lowered): with up to 15 digits the power of ten stays within 1e22,
# which both converters apply in one exact step.
_BIG_EXPONENT = re.compile(rb"e[+-]?0*(?:[89]|[1-9][0-9])")


def _plain_block(block: bytes) -> bool:
    low = block.lower()
    if b"true" in low or b"false" in low or b"1" * 16 in block.translate(_RUNS) or _BIG_EXPONENT.search(low):
        return False
    # "-0" as a whole integer is +0.0 for to_numeric and -0.0 for the C parser; "-0." and "e-0" agree.
    return low.count(b"-0") == low.count(b"-0.") + low.count(b"e-0") - low.count(b"e-0.")
