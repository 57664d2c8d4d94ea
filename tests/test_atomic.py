"""Atomic writes: all or nothing, and files and folders with the user's umask like any other tool."""

from __future__ import annotations

import os
import stat

import pytest

from tinydistill import atomic


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_file_gets_the_umask(tmp_path, umask_027):
    path = atomic.write_text(tmp_path / "a" / "config.json", "{}\n")
    assert path.read_text() == "{}\n"
    assert _mode(path) == 0o640
    # What open() would give, as a witness of the same umask.
    with open(tmp_path / "witness", "w"):
        pass
    assert _mode(path) == _mode(tmp_path / "witness")


def test_rewrite_keeps_the_existing_mode(tmp_path, umask_027):
    path = tmp_path / "metrics.json"
    path.write_text("old")
    os.chmod(path, 0o604)
    atomic.write_text(path, "new")
    assert path.read_text() == "new" and _mode(path) == 0o604


def test_new_directory_gets_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic.new_directory(tmp_path / "run") as tmp:
            atomic.write_text(tmp / "config.json", "{}")
            (tmp / "sub").mkdir()
        run = tmp_path / "run"
        assert _mode(run) == 0o755
        assert _mode(run / "config.json") == 0o644
        assert _mode(run / "sub") == 0o755
    finally:
        os.umask(old)


def test_failed_block_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic.new_directory(tmp_path / "run") as tmp:
            atomic.write_text(tmp / "half", "x")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_staging_directory_gets_the_umask(tmp_path, umask_027):
    stage = atomic.staging_directory(tmp_path / "project")
    assert stage.parent == tmp_path and list(stage.iterdir()) == []
    assert _mode(stage) == 0o750
