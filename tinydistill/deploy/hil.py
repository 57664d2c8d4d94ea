"""`tinydistill hil`: hardware in the loop. Stream a recording to a flashed board over
serial, read its output lines and check every inference against the Python reference.

The board's sensor hook must be the default one (samples as CSV lines from the
serial port). DTR is asserted by default: the USB CDC of the Arduino mbed core (Nano 33 BLE)
only sends and receives while the host holds DTR high; RTS follows DTR, so that the ESP32
boards' auto-reset circuit (EN and IO0 driven by DTR and RTS) stays released. The port is
any pyserial URL (a device path, or `rfc2217://`, `socket://`, `loop://`). The stream is sent sample by sample; after a sample that completes a
window the board's output line is awaited, so a slow board never loses input.
Its `t` counts from the board's start-up, so `t` is compared relative to the first line.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from .emulate import compare, parse_line
from ..errors import CheckFailed, TinyDistillError
from . import install
from .export import MANIFEST, read_manifest
from .platformio import DEFAULT_BAUD
from ..rundir import open_run
from ..data.stream_csv import device_lines, load_stream
from .streaming import StreamSpec, accuracy, reference, spec_from_run


@dataclass(frozen=True)
class HilReport:
    port: str
    stream: Path
    expected: int
    matched: int
    mismatches: tuple[str, ...]
    accuracy: float | None
    seconds: float

    @property
    def agreement(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def ok(self) -> bool:
        return self.matched == self.expected and not self.mismatches


def _reference_inputs(project: str | os.PathLike) -> tuple[StreamSpec, Path, Path | None]:
    """(spec, int8 model, default stream) from an exported project or a run directory."""
    path = Path(project)
    if (path / MANIFEST).is_file() or install.pending(path):
        manifest = read_manifest(path)
        stream = path / manifest["stream"] if manifest.get("stream") else None
        return StreamSpec.from_json(manifest["spec"]), path / manifest["model"], stream
    if not (path / "config.json").is_file():
        raise TinyDistillError(f"{path} is neither a project exported by tinydistill nor a run directory; "
                               "pass the project the board was flashed from with --project DIR")
    run = open_run(path)
    model = run.int8_model()
    stream = run.file("test_stream.csv")
    return spec_from_run(run, model), model, stream if stream.is_file() else None


def _pyserial():
    try:
        import serial
    except ImportError:
        raise TinyDistillError("hil needs pyserial: pip install pyserial") from None
    return serial


def _open(port: str, baud: int, read_timeout: float, write_timeout: float, dtr: bool = True):
    """Open `port` with DTR (and RTS) set to `dtr` from the start."""
    serial = _pyserial()
    try:
        ser = serial.serial_for_url(port, do_not_open=True, baudrate=baud, timeout=read_timeout,
                                    write_timeout=write_timeout)
        # set before open(), so the lines are in this state from the moment the port opens
        ser.dtr = dtr
        ser.rts = dtr
        ser.open()
        return ser
    except (serial.SerialException, ValueError) as exc:
        raise TinyDistillError(f"cannot open serial port {port}: {exc}. Check the port name "
                               "(`pio device list`) and that no monitor holds it.") from None


def _read_result(ser, deadline: float) -> str | None:
    """The next output line (`t=...`), skipping comments; None at the deadline."""
    buf = b""
    while time.monotonic() < deadline:
        chunk = ser.readline()
        if not chunk:
            continue
        buf += chunk
        if not buf.endswith(b"\n"):
            continue
        line = buf.decode("utf-8", errors="replace").strip()
        buf = b""
        if parse_line(line) is not None:
            return line
    return None


def _wait_ready(ser, seconds: float, quiet: float = 0.5) -> bool:
    """Wait up to `seconds` for the board's start-up banner (`# tinydistill ... ready`).

    A board behind a UART bridge that resets when the port opens prints its boot output at
    once; a USB-CDC board does not reset and prints nothing. So the wait ends early when the
    line stays silent for `quiet` seconds, and lasts up to `seconds` while output arrives.
    """
    start = time.monotonic()
    deadline = start + seconds
    heard = False
    while time.monotonic() < deadline:
        line = ser.readline().decode("utf-8", errors="replace")
        if line.startswith("# tinydistill") and "ready" in line:
            return True
        heard = heard or bool(line)
        if not heard and time.monotonic() - start >= quiet:
            return False
    return False


def _stream(ser, recorded, at: set[int], timeout: float, boot_wait: float, lines: list[str], port: str,
            expected: int) -> None:
    """Send the stream sample by sample; after each sample that completes a window, read the board's line."""
    _wait_ready(ser, boot_wait)
    ser.reset_input_buffer()
    ser.write(b"reset\n")  # forget whatever the board has seen before
    index = -1
    for text in device_lines(recorded):
        ser.write(text.encode() + b"\n")
        if text == "reset":
            continue
        index += 1
        if index in at:
            line = _read_result(ser, time.monotonic() + timeout)
            if line is None:
                raise CheckFailed(f"the board on {port} printed no result for sample {index} within {timeout:g} s "
                                  f"({len(lines)} of {expected} inferences received); is it flashed with "
                                  "this project and its default serial sensor, at the same baud rate?")
            lines.append(line)


def hil(port: str, stream: str | os.PathLike | None = None, project: str | os.PathLike = ".",
        baud: int = DEFAULT_BAUD, timeout: float = 5.0, boot_wait: float = 2.0, dtr: bool = True) -> HilReport:
    """Stream to the board on `port` and compare its every inference with the reference.

    `timeout` is how long to wait for one inference's line; `boot_wait` how long to
    wait for the start-up banner of a board that resets when its port opens (it is
    fine if none comes); `dtr` asserts DTR and RTS (see the module's docstring). Raises CheckFailed when the board stops answering.
    """
    spec, model, default_stream = _reference_inputs(project)
    if stream is None:
        if default_stream is None:
            raise TinyDistillError(f"no recorded stream in {project}; pass --stream FILE")
        stream = default_stream
    recorded = load_stream(stream, spec.channels)
    expected = reference(model, spec, recorded)
    at = {e.t for e in expected}
    started = time.monotonic()
    lines: list[str] = []
    serial = _pyserial()
    with _open(port, baud, read_timeout=min(timeout, 0.2), write_timeout=timeout, dtr=dtr) as ser:
        try:
            _stream(ser, recorded, at, timeout, boot_wait, lines, port, len(expected))
        except serial.SerialTimeoutException:
            raise CheckFailed(f"the board on {port} stopped reading its input for {timeout:g} s after "
                              f"{len(lines)} of {len(expected)} inferences") from None
        except serial.SerialException as exc:
            raise CheckFailed(f"the serial port {port} failed after {len(lines)} of {len(expected)} "
                              f"inferences: {exc}") from None
    matched, mismatches, labels = compare(expected, lines, relative_t=True)
    fw = [type(e)(t=e.t, raw=e.raw, label=lab, score=0.0) for e, lab in zip(expected, labels)]
    return HilReport(port=port, stream=Path(stream), expected=len(expected), matched=matched,
                     mismatches=tuple(mismatches[:5]), accuracy=accuracy(fw, recorded, spec),
                     seconds=time.monotonic() - started)


def format_report(r: HilReport) -> str:
    lines = [f"Hardware in the loop on {r.port} with {r.stream} ({r.seconds:.1f} s)",
             f"  agreement with the Python reference: {r.matched}/{r.expected} inferences "
             f"({100 * r.agreement:.1f} %)"]
    if r.accuracy is not None:
        lines.append(f"  accuracy on the stream's labels: {100 * r.accuracy:.1f} %")
    lines += [f"  MISMATCH {m}" for m in r.mismatches]
    return "\n".join(lines)
