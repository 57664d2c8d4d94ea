"""`tinydistill hil` against the host build of the board-independent firmware on a pseudo-terminal.

The firmware process talks through the pty's master side (as a board's UART would),
hil opens the slave side like a serial port. The host build does not reset when the
port opens, so the tests do not wait for a start-up banner (--boot-wait 0).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import need_tools
from tinydistill.cli import cli
from tinydistill.deploy.emulate import build_app
from tinydistill.errors import CheckFailed, TinyDistillError
from tinydistill.deploy.export import export_project
from tinydistill.deploy.hil import hil

pytestmark = pytest.mark.slow  # the run fixture trains Keras models


@pytest.fixture(scope="module")
def project(basic_motions_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hil") / "fw"
    export_project(basic_motions_run, "esp32", out)
    return out


@contextlib.contextmanager
def _board(elf: Path):
    """The host firmware running on a new pty: yields the serial port path, stops the firmware on exit."""
    master, slave = os.openpty()
    port = os.ttyname(slave)
    proc = subprocess.Popen([str(elf)], stdin=master, stdout=master, stderr=subprocess.DEVNULL)
    os.close(master)
    try:
        yield port
    finally:
        proc.kill()
        proc.wait(timeout=10)
        os.close(slave)  # the pty's device node lives as long as a slave descriptor is open


def test_hil_over_a_pty_agrees_with_python(project):
    need_tools("gcc")
    with _board(build_app(project, "host")) as port:
        report = hil(port, project=project, timeout=10, boot_wait=0.1)
    assert report.ok, report.mismatches
    assert report.expected > 0 and report.agreement == 1.0 and report.accuracy is not None

    with _board(build_app(project, "host")) as port:
        result = CliRunner().invoke(cli, ["hil", "--port", port, "--project", str(project), "--baud", "115200",
                                          "--boot-wait", "0"])
    assert result.exit_code == 0, result.output
    assert "(100.0 %)" in result.output


def test_hil_takes_the_reference_from_a_run_directory(project, basic_motions_run):
    need_tools("gcc")
    with _board(build_app(project, "host")) as port:
        report = hil(port, project=basic_motions_run, timeout=10, boot_wait=0.1)
    assert report.ok and report.expected > 0


def test_hil_reports_a_wrong_board_and_a_silent_one(project, tmp_path):
    need_tools("gcc")
    import shutil

    wrong = tmp_path / "wrong"
    shutil.copytree(project, wrong, ignore=shutil.ignore_patterns(".tinydistill"))
    app = wrong / "src" / "app.c"
    app.write_text(app.read_text().replace("    app->inferences++;\n", "    app->inferences++;\n    output[1] ^= 4;\n"))
    with _board(build_app(wrong, "host")) as port:
        result = CliRunner().invoke(cli, ["hil", "--port", port, "--project", str(project), "--boot-wait", "0"])
    assert result.exit_code == 1 and "MISMATCH" in result.output

    master, slave = os.openpty()  # nothing answers on this port
    try:
        with pytest.raises(CheckFailed, match="printed no result"):
            hil(os.ttyname(slave), project=project, timeout=0.5, boot_wait=0.1)
    finally:
        os.close(master)
        os.close(slave)


def test_hil_with_a_missing_port_or_project_exits_2(project, tmp_path):
    result = CliRunner().invoke(cli, ["hil", "--port", "/dev/does-not-exist", "--project", str(project)])
    assert result.exit_code == 2 and "cannot open serial port" in result.output
    result = CliRunner().invoke(cli, ["hil", "--port", "/dev/does-not-exist", "--project", str(tmp_path)])
    assert result.exit_code == 2 and "neither a project exported by tinydistill nor a run" in result.output


# ---------------------------------------------------------------- port set-up (pyserial's own API)
def test_hil_opens_the_port_with_dtr_and_rts_asserted_unless_told_not_to():
    from tinydistill.deploy.hil import _open

    # pyserial's loop:// port reads DTR back as DSR and RTS as CTS
    with _open("loop://", 115200, read_timeout=0.1, write_timeout=1) as ser:
        assert ser.dtr and ser.rts and ser.dsr and ser.cts
    with _open("loop://", 115200, read_timeout=0.1, write_timeout=1, dtr=False) as ser:
        assert not ser.dsr and not ser.cts
    with pytest.raises(TinyDistillError, match="cannot open serial port nosuch://x"):
        _open("nosuch://x", 115200, read_timeout=0.1, write_timeout=1)


# A USB CDC port as the Arduino mbed core (Nano 33 BLE) presents it: the board's output reaches
# the host only while the host holds DTR high. Registered as a pyserial URL handler over a pty.
CDC_HANDLER = '''
from serial.serialposix import Serial as _Posix


class Serial(_Posix):
    def open(self):
        self.portstr = self._port.split("://", 1)[1]
        super().open()

    def read(self, size=1):
        data = super().read(size)
        return data if self._dtr_state else b""
'''


@pytest.fixture
def cdc_urls(tmp_path, monkeypatch):
    import serial

    package = tmp_path / "td_cdc_sim"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "protocol_cdcsim.py").write_text(CDC_HANDLER)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(serial, "protocol_handler_packages", [*serial.protocol_handler_packages, "td_cdc_sim"])


def test_hil_hears_a_usb_cdc_board_only_with_dtr(project, cdc_urls):
    need_tools("gcc")
    with _board(build_app(project, "host")) as port:
        report = hil(f"cdcsim://{port}", project=project, timeout=10, boot_wait=0.1)
    assert report.ok and report.agreement == 1.0
    with _board(build_app(project, "host")) as port:
        with pytest.raises(CheckFailed, match="printed no result"):
            hil(f"cdcsim://{port}", project=project, timeout=1, boot_wait=0.1, dtr=False)


def test_boot_wait_ends_on_the_banner_or_on_silence():
    import threading
    import time

    from tinydistill.deploy.hil import _open, _wait_ready

    master, slave = os.openpty()
    try:
        with _open(os.ttyname(slave), 115200, read_timeout=0.1, write_timeout=1) as ser:
            started = time.monotonic()
            assert not _wait_ready(ser, 10)  # a USB board that did not reset says nothing: no 10 s wait
            assert time.monotonic() - started < 2

            def boot():  # a board behind a UART bridge: boot output, then the banner after 1 s
                for _ in range(5):
                    os.write(master, b"ets Jun  8 2016 00:22:57 rst:0x1 (POWERON_RESET)\r\n")
                    time.sleep(0.25)
                os.write(master, b"# tinydistill run: esp32 ready, window 32 hop 8\n")

            thread = threading.Thread(target=boot)
            started = time.monotonic()
            thread.start()
            assert _wait_ready(ser, 10)
            assert 1.0 <= time.monotonic() - started < 5
            thread.join()
    finally:
        os.close(master)
        os.close(slave)
