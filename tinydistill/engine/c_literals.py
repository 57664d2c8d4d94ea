"""C literals shared by every generated file (engine model headers, exported project headers)."""

from __future__ import annotations

import numpy as np


def c_float(x: float) -> str:
    """A C float literal of `x` rounded to float32; 9 significant digits read back the same float32.

    A whole number gets its point ("1.0f"): "1f" is not a C literal.
    """
    text = f"{float(np.float32(x)):.9g}"
    return f"{text}f" if any(c in text for c in ".e") else f"{text}.0f"


def c_array_body(values: tuple[int, ...], per_line: int = 16) -> str:
    """The initializer lines of an integer C array, `per_line` values a line (one 0 when empty)."""
    lines = []
    for i in range(0, len(values), per_line):
        lines.append("    " + ", ".join(str(v) for v in values[i: i + per_line]) + ",")
    return "\n".join(lines) if lines else "    0,"
