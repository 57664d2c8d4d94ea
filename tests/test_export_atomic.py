"""Re-export is one transaction: a kill at any file operation leaves the old or the new project.

A forked child re-exports with TD_TEST_KILL_AFTER_OPS=k and is SIGKILLed after its k-th file
operation, for every k: before the journal's commit point the folder must hold the old project
exactly; after it, any command that opens the project (here read_manifest) completes the new one
exactly. The next export cleans up what the killed one left. Concurrent exports to one folder:
one wins, the other exits 2 with a message.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT
from tinydistill.cli import cli
from tinydistill.deploy import install
from tinydistill.deploy.export import export_project, read_manifest

pytestmark = pytest.mark.slow  # the run fixture trains Keras models

OLD = dict(target="esp32", framework="arduino")
NEW = dict(target="esp32", framework="espidf", smoothing="vote", smooth_n=3, sensor=None)


def _snapshot(project: Path) -> dict[str, bytes]:
    """Every file of the project but the tool's scratch folder."""
    return {p.relative_to(project).as_posix(): p.read_bytes() for p in project.rglob("*")
            if p.is_file() and install.STATE_DIR not in p.relative_to(project).parts}


def _killed_export(run: Path, project: Path, k: int) -> int:
    """Re-export NEW into `project` in a child process killed after its k-th file operation; its wait status."""
    pid = os.fork()
    if pid == 0:  # the child: count from zero, die at k
        code = 0
        try:
            install._ops = 0
            os.environ[install.KILL_ENV] = str(k)
            export_project(run, out_dir=project, **NEW)
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    for _ in range(600):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        __import__("time").sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"the export killed at operation {k} hung")


def test_a_kill_at_every_file_operation_leaves_the_old_or_the_new_project(basic_motions_run, tmp_path):
    out = tmp_path / "fw"
    export_project(basic_motions_run, out_dir=out, **OLD)
    old = _snapshot(out)
    ref = tmp_path / "ref"  # the new project, made once without a kill (a sibling: same relative run path)
    shutil.copytree(out, ref)
    before = install.operations()
    export_project(basic_motions_run, out_dir=ref, **NEW)
    operations = install.operations() - before
    new = _snapshot(ref)
    assert old != new and operations > 20

    seen = {"old": 0, "rolled forward": 0, "new": 0}
    for k in range(1, operations + 1):
        work = tmp_path / f"k{k}"
        shutil.copytree(out, work)
        status = _killed_export(basic_motions_run, work, k)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (k, status)
        if install.pending(work):
            read_manifest(work)  # what emulate and hil do first: finish the interrupted install
            assert _snapshot(work) == new, f"kill at operation {k}: not the new project after recovery"
            seen["rolled forward"] += 1
        else:
            state = _snapshot(work)
            assert state in (old, new), f"kill at operation {k}: neither the old nor the new project"
            seen["old" if state == old else "new"] += 1
        # the next export cleans up what the killed one left and installs normally
        export_project(basic_motions_run, out_dir=work, **NEW)
        assert _snapshot(work) == new
        assert sorted(p.name for p in (work / install.STATE_DIR).iterdir()) == [install.LOCK]
        shutil.rmtree(work)
    assert seen["old"] > 0 and seen["rolled forward"] > 0, seen


def test_a_killed_first_export_is_finished_or_cleaned_by_the_next(basic_motions_run, tmp_path):
    ref = tmp_path / "ref"
    before = install.operations()
    export_project(basic_motions_run, out_dir=ref, **NEW)
    operations = install.operations() - before
    new = _snapshot(ref)
    for k in (1, operations // 2, operations - 1):
        work = tmp_path / f"first{k}"
        status = _killed_export(basic_motions_run, work, k)
        assert os.WIFSIGNALED(status), k
        # the folder holds only the tool's scratch or a journaled install: not a foreign folder
        export_project(basic_motions_run, out_dir=work, **NEW)
        assert _snapshot(work) == new


def test_leftovers_of_older_versions_killed_exports_are_removed(basic_motions_run, tmp_path):
    out = tmp_path / "fw"
    export_project(basic_motions_run, out_dir=out, **OLD)
    legacy = tmp_path / ".fw.k3j9x1.partial"  # what an older export left when killed
    (legacy / "src").mkdir(parents=True)
    (legacy / "src" / "model.c").write_text("half")
    run_partial = tmp_path / ".fw.abc.partial"  # a killed `train --out fw` would look like this: not ours
    run_partial.mkdir()
    (run_partial / "history.json").write_text("{}")
    export_project(basic_motions_run, out_dir=out, **OLD)
    assert not legacy.exists() and run_partial.is_dir()


def test_a_second_export_to_a_folder_being_written_exits_2(basic_motions_run, tmp_path):
    out = tmp_path / "fw"
    export_project(basic_motions_run, out_dir=out, **OLD)
    before = _snapshot(out)
    with install.locked(out):  # another export holds the folder (flock: per open file, so this process counts)
        result = CliRunner().invoke(cli, ["export", str(basic_motions_run), "--target", "esp32", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "another tinydistill export is writing to" in result.output and "Traceback" not in result.output
    assert _snapshot(out) == before


def test_a_refused_first_export_leaves_the_holders_files(basic_motions_run, tmp_path):
    # The race of two first exports: the loser must not clean up the folder the winner is writing.
    out = tmp_path / "fw"
    with install.locked(out):  # the winner: it holds the lock and has staged a file
        stage = install.new_stage(out)
        (stage / "platformio.ini").write_text("staged\n")
        with pytest.raises(Exception, match="another tinydistill export is writing to"):
            export_project(basic_motions_run, out_dir=out, **OLD)
        assert (stage / "platformio.ini").read_text() == "staged\n"
        assert (install.state_dir(out) / install.LOCK).is_file()


def test_two_exports_at_once_one_winner(basic_motions_run, tmp_path):
    out = tmp_path / "fw"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # the library call as the CLI makes it, without the CLI's TensorFlow import (the exit-2 path of the
    # CLI itself is the test above)
    script = ("import sys\nfrom tinydistill.deploy.export import export_project\n"
              "from tinydistill.errors import TinyDistillError\ntry:\n"
              f"    export_project({str(basic_motions_run)!r}, 'esp32', {str(out)!r}, framework=sys.argv[1])\n"
              "except TinyDistillError as exc:\n    print(exc)\n    sys.exit(exc.exit_code)\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, framework], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for framework in ("arduino", "espidf")]
    results = [(p.wait(timeout=600), p.stdout.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2]), results  # one after the other, or one winner and one refusal
    for code, output in results:
        assert "Traceback" not in output
        if code == 2:
            assert "another tinydistill export is writing to" in output
    framework = read_manifest(out)["framework"]
    assert (out / "src" / ("main_arduino.cpp" if framework == "arduino" else "main_espidf.c")).is_file()
    assert sorted(p.name for p in (out / install.STATE_DIR).iterdir()) == [install.LOCK]
