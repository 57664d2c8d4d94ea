"""Function symbols of a built program, read with the platform's `nm`."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import toolchains
from .platforms import Platform


@dataclass(frozen=True)
class Symbol:
    name: str
    address: int  # of the first instruction (the Thumb bit cleared)
    size: int
    kind: str  # nm's type letter: T/t code, R/r read-only data, D/d data, B/b bss


def symbols(platform: Platform, elf: str | os.PathLike) -> list[Symbol]:
    """Every defined symbol with a size, sorted by address."""
    nm = toolchains.require(platform.nm if platform.kind != "host" else "nm")
    out = subprocess.run([nm, "-S", "--defined-only", str(Path(elf))], capture_output=True, text=True,
                         check=True).stdout
    result = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue  # no size: a linker-script label
        addr, size, kind, name = parts
        address = int(addr, 16)
        if platform.kind == "arm" and kind in "Tt":
            address &= ~1
        result.append(Symbol(name, address, int(size, 16), kind))
    return sorted(result, key=lambda s: (s.address, s.name))


def functions(platform: Platform, elf: str | os.PathLike) -> list[Symbol]:
    """Code symbols of non-zero size, sorted by address, aliases at one address dropped."""
    funcs: list[Symbol] = []
    for sym in symbols(platform, elf):
        if sym.kind in "Tt" and sym.size and (not funcs or funcs[-1].address != sym.address):
            funcs.append(sym)
    return funcs


def address_of(platform: Platform, elf: str | os.PathLike, name: str) -> int | None:
    for sym in symbols(platform, elf):
        if sym.name == name:
            return sym.address
    return None
