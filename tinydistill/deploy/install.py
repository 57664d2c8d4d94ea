"""Install a staged export over a project folder as one transaction: a lock and a journal.

`export` stages every new file in `OUT/.tinydistill/stage-<pid>/`, then `commit()` writes the
journal `OUT/.tinydistill/journal.json` (one atomic rename: the commit point) listing the steps
that put the staged files and folders in place, create the user's files that are missing and
remove stale tool files, and carries them out. Every step can be repeated, so a kill at any
point is repaired by rolling the journal forward (`recover()`), which every tinydistill command
that opens the project does first: before the journal exists the old project is intact, after
it the new one is completed. The model library `lib/tinydistill_model/` is one step (a folder
swapped by two renames). Leftovers of killed runs (stage and trash folders) are deleted by the
next export. Writers take an exclusive lock on `OUT/.tinydistill/lock`: a second export to the
same folder is refused while one runs (exit 2).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

from .. import atomic
from ..errors import TinyDistillError

try:  # POSIX; elsewhere exports to one folder are not serialized
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

STATE_DIR = ".tinydistill"
JOURNAL = "journal.json"
LOCK = "lock"
# Tests kill the process after this many file operations (see checkpoint()).
KILL_ENV = "TD_TEST_KILL_AFTER_OPS"
_ops = 0


def checkpoint() -> None:
    """Count one file operation; SIGKILL this process at the count TD_TEST_KILL_AFTER_OPS names (tests)."""
    global _ops
    _ops += 1
    limit = os.environ.get(KILL_ENV)
    if limit and _ops >= int(limit):
        os.kill(os.getpid(), signal.SIGKILL)


def operations() -> int:
    """File operations counted so far in this process."""
    return _ops


def state_dir(project: Path) -> Path:
    return Path(project) / STATE_DIR


@contextlib.contextmanager
def locked(project: Path) -> Iterator[None]:
    """Hold the project's writer lock; refuse (exit 2) when another process holds it."""
    state = state_dir(project)
    state.mkdir(parents=True, exist_ok=True)
    fd = os.open(state / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise TinyDistillError(f"another tinydistill export is writing to {project} right now; "
                                       "wait for it to finish, then run this command again") from None
        yield
    finally:
        os.close(fd)  # releases the lock


def clean_leftovers(project: Path) -> list[str]:
    """Delete the stage and trash folders of killed runs (call with the lock held, after recover())."""
    state = state_dir(project)
    removed = []
    for path in sorted(state.glob("stage-*")) + sorted(state.glob("trash-*")):
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


def clean_legacy_partials(project: Path) -> list[str]:
    """Delete the hidden `.NAME.*.partial` staging folders that exports of older versions left beside
    the project when killed (recognised by an export's files; a run directory's are left alone)."""
    project = Path(project)
    removed = []
    for path in sorted(project.parent.glob(f".{project.name}.*.partial")):
        if path.is_dir() and any((path / marker).exists() for marker in ("tinydistill.ini", "src", "tinydistill.json")):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def new_stage(project: Path) -> Path:
    stage = state_dir(project) / f"stage-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    return stage


def _move_aside(path: Path, trash: Path) -> None:
    trash.mkdir(parents=True, exist_ok=True)
    os.replace(path, trash / f"{len(list(trash.iterdir()))}-{path.name}")
    checkpoint()


def _put(stage: Path, project: Path, rel: str, trash: Path) -> None:
    """Move stage/rel (a file or a folder) to project/rel, replacing what is there."""
    src, dest = stage / rel, project / rel
    if not src.exists() and not src.is_symlink():
        return  # done before the kill
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_dir() and not dest.is_symlink():
        _move_aside(dest, trash)  # a folder cannot be renamed over a non-empty one
    os.replace(src, dest)
    checkpoint()


def _create(stage: Path, project: Path, rel: str) -> None:
    """Move stage/rel to project/rel only where the project has no such file (the user's files)."""
    src, dest = stage / rel, project / rel
    if not src.exists():
        return
    if dest.exists():
        src.unlink()
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
    checkpoint()


def _remove(project: Path, rel: str, trash: Path) -> None:
    path = project / rel
    if path.is_dir() and not path.is_symlink():
        _move_aside(path, trash)
    elif path.exists() or path.is_symlink():
        path.unlink()
        checkpoint()
    for parent in path.parents:  # folders the removal emptied (an older layout's data/)
        if parent == project or not parent.is_relative_to(project):
            break
        try:
            parent.rmdir()
        except OSError:
            break


def _replay(project: Path, journal: dict) -> None:
    stage = project / journal["stage"]
    trash = project / journal["trash"]
    for rel in journal["remove"]:
        _remove(project, rel, trash)
    for rel in journal["create"]:
        _create(stage, project, rel)
    for rel in journal["put"]:  # the manifest comes last: it names the project's new state
        _put(stage, project, rel, trash)
    os.unlink(state_dir(project) / JOURNAL)  # the transaction is complete
    checkpoint()
    shutil.rmtree(stage, ignore_errors=True)
    shutil.rmtree(trash, ignore_errors=True)


def commit(project: Path, stage: Path, put: list[str], create: list[str], remove: list[str]) -> None:
    """Install `stage` into `project`: the journal first (the commit point), then its steps."""
    project = Path(project)
    journal = {
        "stage": stage.relative_to(project).as_posix(),
        "trash": f"{STATE_DIR}/trash-{os.getpid()}",
        "put": list(put), "create": list(create), "remove": list(remove),
    }
    checkpoint()
    atomic.write_text(state_dir(project) / JOURNAL, json.dumps(journal, indent=1) + "\n")
    checkpoint()
    _replay(project, journal)


def pending(project: Path) -> bool:
    """Whether an install into `project` was interrupted after its commit point."""
    return (state_dir(Path(project)) / JOURNAL).is_file()


def recover(project: Path, locked_by_caller: bool = False) -> bool:
    """Finish an install that a kill interrupted; True when there was one.

    Takes the project's lock unless the caller holds it already (`locked_by_caller`).
    """
    project = Path(project)
    if not pending(project):
        return False
    with contextlib.nullcontext() if locked_by_caller else locked(project):
        path = state_dir(project) / JOURNAL
        if not path.is_file():  # another process finished it meanwhile
            return False
        try:
            journal = json.loads(path.read_text())
        except ValueError:
            raise TinyDistillError(f"{path} is damaged; delete it and export again") from None
        _replay(project, journal)
    return True
