"""Bytes of the exported firmware's state, computed by C's layout rules instead of measured.

The firmware keeps no hidden statics: the app's state is one `td_app_t` (templates/project/app.h.j2)
and the default serial sensor owns a `td_serial_csv_t` with a line buffer of
`TD_SERIAL_CSV_LINE_SIZE(C)` bytes (firmware/stream/td_serial_csv.h). The budget adds these bytes
to peak RAM; tests compare the figures with `sizeof` from gcc (LP64 host) and arm-none-eabi (ILP32).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Abi:
    """The C type sizes the layout depends on (alignment = size for these scalars)."""

    name: str
    pointer: int
    long: int
    enum: int = 4


ILP32 = Abi("ilp32", pointer=4, long=4)  # every MCU target: Cortex-M, Xtensa, RV32
LP64 = Abi("lp64", pointer=8, long=8)  # the 64-bit host of `emulate --on host`


def struct_size(fields: list[tuple[int, int]]) -> tuple[int, int]:
    """(sizeof, alignof) of a C struct of (size, alignment) members in declaration order."""
    offset, align = 0, 1
    for size, a in fields:
        offset = -(-offset // a) * a + size
        align = max(align, a)
    return -(-offset // align) * align, align


def _stream_struct(abi: Abi) -> list[tuple[int, int]]:
    """td_stream_t's members (firmware/stream/td_stream.h), in order."""
    i, p = (4, 4), (abi.pointer, abi.pointer)
    return [i, i, i, p, p, p, i, (abi.enum, abi.enum), i, p, p, p, i, i, i, i, i]


def app_line_size(outputs: int) -> int:
    """TD_APP_LINE_SIZE: room for "t=... label=... score=... us=... raw=" and 5 characters per output."""
    return 96 + 32 + 5 * outputs


def app_state_bytes(window: int, channels: int, outputs: int, smooth_n: int = 1, abi: Abi = ILP32) -> int:
    """sizeof(td_app_t) for a model with `outputs` int8 outputs on a W × C stream."""
    stream = struct_size(_stream_struct(abi))
    u64 = (8, 8)
    fields = [u64, u64, stream, (4 * outputs, 4), (4 * smooth_n, 4), (2 * window * channels, 1),
              (smooth_n * outputs, 1), (outputs, 1), (app_line_size(outputs), 1)]
    return struct_size(fields)[0]


def serial_csv_line_size(channels: int) -> int:
    """TD_SERIAL_CSV_LINE_SIZE(C): 25 characters per value, plus 16 for blanks, "reset" and the NUL."""
    return 25 * channels + 16


def serial_csv_state_bytes(channels: int, abi: Abi = ILP32) -> int:
    """sizeof(td_serial_csv_t) plus its line buffer."""
    i, p = (4, 4), (abi.pointer, abi.pointer)
    return struct_size([i, p, i, i, i])[0] + serial_csv_line_size(channels)


def firmware_state_bytes(window: int, channels: int, outputs: int, smooth_n: int = 1, abi: Abi = ILP32) -> int:
    """All of the exported firmware's static state: td_app_t plus the default serial sensor's."""
    return app_state_bytes(window, channels, outputs, smooth_n, abi) + serial_csv_state_bytes(channels, abi)
