"""Build the instruction-counting QEMU plugin (icount_plugin.c) once into a cache dir."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

from . import toolchains
from ..errors import TinyDistillError

SOURCE = Path(__file__).resolve().parent / "icount_plugin.c"
HEADERS = (Path(__file__).resolve().parent / "m4_cycles.h",)


def cache_dir() -> Path:
    """$TD_CACHE_DIR, or $XDG_CACHE_HOME/tinydistill, or ~/.cache/tinydistill."""
    if os.environ.get("TD_CACHE_DIR"):
        return Path(os.environ["TD_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tinydistill"


def plugin_path() -> Path:
    """The plugin's shared library, built with the host gcc when its source changed."""
    source = SOURCE.read_bytes() + b"".join(h.read_bytes() for h in HEADERS)
    target = cache_dir() / f"td-icount-{hashlib.sha256(source).hexdigest()[:12]}.so"
    if target.is_file():
        return target
    gcc = toolchains.require("gcc")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home (some CI sandboxes): build into the temp dir instead
        target = Path(tempfile.gettempdir()) / f"tinydistill-{os.getuid()}" / target.name
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".td-icount-", suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        proc = subprocess.run([gcc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-shared", "-fPIC",
                               str(SOURCE), "-o", tmp], capture_output=True, text=True)
        if proc.returncode != 0:
            raise TinyDistillError(f"building the QEMU instruction-counting plugin failed:\n{proc.stderr}")
        os.replace(tmp, target)  # concurrent builders write the same bytes
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
