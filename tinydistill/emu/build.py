"""Compile C sources into a program for one platform (host ELF, or a bare-metal ELF
with semihosting for QEMU)."""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from . import toolchains
from ..errors import TinyDistillError
from ..resources import firmware_dir
from .platforms import STACK_BYTES, Platform, get

WARNINGS = ("-std=c99", "-Wall", "-Wextra", "-Werror")
SECTIONS = ("-ffunction-sections", "-fdata-sections")


def platform_dir() -> Path:
    """firmware/platform: start-up files, linker scripts and td_bench.h."""
    return firmware_dir() / "platform"


def _platform(platform: str | Platform) -> Platform:
    return platform if isinstance(platform, Platform) else get(platform)


def _object_names(sources: Sequence[Path]) -> list[str]:
    """One distinct object name per source, readable in the link map (see size.py)."""
    seen: dict[str, int] = {}
    names = []
    for src in sources:
        stem = src.stem
        seen[stem] = seen.get(stem, 0) + 1
        names.append(f"{stem}.o" if seen[stem] == 1 else f"{stem}__{seen[stem]}.o")
    return names


def _run_compiler(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise TinyDistillError(f"{what} failed:\n{proc.stderr.strip() or proc.stdout.strip()}\ncommand: {' '.join(cmd)}")


def build(
    platform: str | Platform,
    sources: Iterable[str | os.PathLike],
    *,
    include_dirs: Iterable[str | os.PathLike] = (),
    out: str | os.PathLike,
    defines: Iterable[str] = (),
    opt: str = "-O2",
    extra_cflags: Iterable[str] = (),
    stack_bytes: int = STACK_BYTES,
) -> Path:
    """Build `sources` (plus the platform's start-up files) into the program `out`.

    Compiled with -std=c99 -Wall -Wextra -Werror, function/data sections and
    --gc-sections; on QEMU platforms printf, fopen/fread of host files, argv and
    main's return value go through semihosting. `defines` are `NAME` or `NAME=VALUE`.
    `stack_bytes` is the stack reserved on the emulated boards (a program that
    outgrows it ends as a fault).
    A link map is written next to the program (`out` + ".map"). Returns `out`.
    Raises ToolchainMissing when the compiler is not installed and TinyDistillError
    with the compiler's message when a source does not compile.
    """
    plat = _platform(platform)
    cc = toolchains.require(plat.cc)
    extra_cflags = list(extra_cflags)  # used twice: compile and link
    if plat.emulated and (not 1024 <= stack_bytes <= 1 << 20 or stack_bytes % 8):
        raise TinyDistillError(f"stack_bytes must be a multiple of 8 between 1 KiB and 1 MiB, not {stack_bytes}")
    out = Path(out)
    pdir = platform_dir()
    srcs = [Path(s) for s in sources]
    missing = [str(s) for s in srcs if not s.is_file()]
    if missing:
        raise TinyDistillError(f"source file(s) not found: {', '.join(missing)}")
    srcs += [pdir / name for name in plat.startup]
    cflags = [
        *WARNINGS, opt, *SECTIONS, *plat.cpu_flags, *plat.compile_flags,
        f"-I{pdir}", *(f"-I{Path(d)}" for d in include_dirs),
        *(f"-D{d}" for d in defines), *extra_cflags,
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".td-build-", dir=out.parent) as tmp:
        objdir = Path(tmp) / "obj"
        objdir.mkdir()
        objects = [objdir / name for name in _object_names(srcs)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            jobs = [pool.submit(_run_compiler, [cc, *cflags, "-c", str(s), "-o", str(o)], f"compiling {s}")
                    for s, o in zip(srcs, objects)]
            for job in jobs:
                job.result()
        tmp_elf = Path(tmp) / out.name
        tmp_map = Path(tmp) / (out.name + ".map")
        # extra_cflags reach the link too: -fsanitize=..., -flto and the like need it.
        link = [cc, *plat.cpu_flags, opt, *extra_cflags, *[str(o) for o in objects], *plat.link_flags,
                *plat.stack_flags(stack_bytes), "-Xlinker", f"-Map={tmp_map}"]
        if plat.linker_script:
            link += [f"-L{pdir}", f"-T{plat.linker_script}"]
        link += ["-lm", "-o", str(tmp_elf)]
        _run_compiler(link, f"linking {out.name} for {plat.name}")
        os.replace(tmp_map, out.parent / (out.name + ".map"))
        os.replace(tmp_elf, out)
    return out
