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
from tinydistill.errors import CheckFailed
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
