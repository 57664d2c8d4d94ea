"""Read aeon's `.ts` files (the UEA/UCR archive's text format) from its wheel or an unzipped copy.

Shared by the converters in this folder. A `.ts` file has header lines starting with `@`,
then after `@data` one line per case: the dimensions separated by `:`, each a comma-separated
series of values, and the class label last.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path


def read_member(source: str, member: str) -> str:
    """The text of `member` (a path inside the wheel) from the wheel file or an unzipped folder."""
    path = Path(source)
    if path.is_dir():
        return (path / member).read_text(encoding="utf-8")
    with zipfile.ZipFile(path) as zf:
        return zf.read(member).decode("utf-8")


def parse_ts(text: str, dimensions: int | None = None):
    """Yield (channels, label) per case: channels is a list of lists of value strings, checked finite.

    `dimensions`, if given, is the number of dimensions every case must have."""
    lines = iter(text.splitlines())
    for line in lines:
        if line.strip().lower() == "@data":
            break
    else:
        raise ValueError("no @data line")
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        *dims, label = line.split(":")
        if dimensions is not None and len(dims) != dimensions:
            raise ValueError(f"expected {dimensions} dimension(s), got {len(dims)}")
        channels = [[v.strip() for v in d.split(",")] for d in dims]
        for series in channels:
            for v in series:
                if not math.isfinite(float(v)):
                    raise ValueError(f"non-finite value {v!r}")
        yield channels, label.strip()
