"""Sizes and times as people write them: `64K`, `64KB`, `1.5M`, `2048`, `500us`, `5ms`, `1s`.

Sizes use K = 1024 (the convention of microcontroller datasheets and linker maps).
"""

from __future__ import annotations

import re

import click

from .errors import TinyDistillError

SIZE_FORMS = "a number of bytes with an optional unit: 2048, 2048B, 64K, 64KB, 64KiB, 1.5M, 1MB, 1G (K = 1024)"
TIME_FORMS = "a number with a unit: 500us (or 500µs), 5ms, 1s, 1000ns; a bare number means seconds"

_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
               "g": 1024**3, "gb": 1024**3, "gib": 1024**3}
_TIME_UNITS = {"": 1.0, "s": 1.0, "sec": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ns": 1e-9}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Zµμ]*)\s*$")


def parse_size(text: str | int) -> int:
    """Bytes in `text` ("64K", "64KB", "1.5M", "2048"); K = 1024, rounded down to whole bytes."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise TinyDistillError(f"size {text} is negative; expected {SIZE_FORMS}")
        return text
    match = _NUMBER.match(str(text))
    unit = match.group(2).lower() if match else None
    if not match or unit not in _SIZE_UNITS:
        raise TinyDistillError(f"cannot read size {str(text)!r}; expected {SIZE_FORMS}")
    return int(float(match.group(1)) * _SIZE_UNITS[unit])


def parse_time(text: str | float) -> float:
    """Seconds in `text` ("500us", "5ms", "1s"; a bare number is seconds)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if text < 0:
            raise TinyDistillError(f"time {text} is negative; expected {TIME_FORMS}")
        return float(text)
    match = _NUMBER.match(str(text))
    unit = match.group(2).lower() if match else None
    if not match or unit not in _TIME_UNITS:
        raise TinyDistillError(f"cannot read time {str(text)!r}; expected {TIME_FORMS}")
    return float(match.group(1)) * _TIME_UNITS[unit]


def format_size(n: int) -> str:
    """Bytes for people: 980 B, 12.3 KB, 1.50 MB (K = 1024)."""
    if n < 1024:
        return f"{n} B"
    if n < 1024**2:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024**2:.2f} MB"


def format_time(seconds: float) -> str:
    """Seconds for people: 850 us, 12.4 ms, 1.20 s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


class SizeType(click.ParamType):
    """A click option value in bytes (`--max-flash 64K`)."""

    name = "size"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except TinyDistillError as exc:
            self.fail(str(exc), param, ctx)


class TimeType(click.ParamType):
    """A click option value in seconds (`--max-latency 5ms`)."""

    name = "time"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            return parse_time(value)
        except TinyDistillError as exc:
            self.fail(str(exc), param, ctx)


SIZE = SizeType()
TIME = TimeType()
