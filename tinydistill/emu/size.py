"""Flash and RAM of a built program, in total (size -A) and per object file (link map)."""

from __future__ import annotations

import os
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from . import toolchains
from .platforms import Platform, get


@dataclass(frozen=True)
class SizeReport:
    """Bytes of a program or of one object file.

    flash = text + rodata + data (the initial values of .data live in flash);
    ram = data + bss + stack, where stack is the stack the linker script reserves at
    the top of RAM (build()'s stack_bytes, 16 KiB by default; 0 on the host and per
    object).
    The heap (used only by the C library's stdio) is not counted.
    """

    text: int
    rodata: int
    data: int
    bss: int
    stack: int = 0

    @property
    def flash(self) -> int:
        return self.text + self.rodata + self.data

    @property
    def ram(self) -> int:
        return self.data + self.bss + self.stack


_RODATA = (".rodata", ".srodata")
_DATA = (".data", ".sdata", ".tdata")
_BSS = (".bss", ".sbss", ".tbss", "COMMON")
_IGNORED = (".debug", ".comment", ".ARM.attributes", ".riscv.attributes", ".stack", ".heap", ".tbss_space",
            ".note", ".gnu", ".symtab", ".strtab", ".shstrtab", ".interp", ".dynsym", ".dynstr", ".rela", ".hash")


def _kind(section: str) -> str | None:
    if section.startswith(_RODATA):
        return "rodata"
    if section.startswith(_DATA):
        return "data"
    if section.startswith(_BSS):
        return "bss"
    if section.startswith(_IGNORED):
        return None
    return "text"


# An input section in the memory map: name, address, size, object (the name may sit
# alone on the previous line when it is long).
_INPUT = re.compile(r"^ (\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
_NAME_ONLY = re.compile(r"^ (\.\S+|COMMON)$")
_ADDR_ONLY = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")


def _map_sections(map_path: Path) -> list[tuple[str, int, str]]:
    """(input section, size, object) for every input section the link kept."""
    records = []
    in_map = False
    pending = None
    for line in map_path.read_text(errors="replace").splitlines():
        if not in_map:
            in_map = line.startswith("Linker script and memory map")
            continue
        m = _INPUT.match(line)
        if m and (m.group(1).startswith(".") or m.group(1) == "COMMON"):
            records.append((m.group(1), int(m.group(3), 16), m.group(4).strip()))
            pending = None
            continue
        m = _NAME_ONLY.match(line)
        if m:
            pending = m.group(1)
            continue
        m = _ADDR_ONLY.match(line)
        if m and pending:
            records.append((pending, int(m.group(2), 16), m.group(3).strip()))
        pending = None
    return [r for r in records if r[1] > 0]


def _object_name(path: str) -> str:
    """`/tmp/x/obj/kernel.o` -> `kernel.o`; `/usr/lib/libc.a(printf.o)` -> `libc.a(printf.o)`."""
    return Path(path).name


def flash_sections(elf: str | os.PathLike) -> list[tuple[str, int, str]]:
    """(input section, bytes, object name) of every .text and .rodata input section the link kept, from
    the link map that build() writes next to `elf` (one section per function and object with
    -ffunction-sections -fdata-sections)."""
    return [(s, n, _object_name(o)) for s, n, o in _map_sections(_link_map(elf)) if _kind(s) in ("text", "rodata")]


def _link_map(elf: str | os.PathLike) -> Path:
    """The link map build() wrote next to `elf`."""
    map_path = Path(str(elf) + ".map")
    if not map_path.is_file():
        from ..errors import TinyDistillError

        raise TinyDistillError(f"{map_path} not found: per-object sizes need a program built by tinydistill.emu.build")
    return map_path


def object_sizes(elf: str | os.PathLike) -> dict[str, SizeReport]:
    """Bytes per object file, from the link map that build() writes next to `elf`.

    Keys are object names: `<source stem>.o` for the sources given to build(),
    `lib.a(member.o)` for library members.
    """
    map_path = _link_map(elf)
    acc: dict[str, dict[str, int]] = defaultdict(lambda: {"text": 0, "rodata": 0, "data": 0, "bss": 0})
    for section, nbytes, obj in _map_sections(map_path):
        kind = _kind(section)
        if kind:
            acc[_object_name(obj)][kind] += nbytes
    return {name: SizeReport(**v) for name, v in sorted(acc.items())}


def size(platform: str | Platform, elf: str | os.PathLike) -> SizeReport:
    """Flash and RAM of the program `elf` (see SizeReport for the definitions).

    Totals come from the ELF's sections (`size -A`); rodata is taken from the link
    map where the linker script merges it into .text (picolibc's, on rv32).
    """
    plat = platform if isinstance(platform, Platform) else get(platform)
    tool = toolchains.require(plat.size_tool if plat.kind != "host" else "size")
    out = subprocess.run([tool, "-A", str(Path(elf))], capture_output=True, text=True, check=True).stdout
    totals = {"text": 0, "rodata": 0, "data": 0, "bss": 0}
    for line in out.splitlines()[2:]:
        parts = line.split()
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        name, nbytes = parts[0], int(parts[1])
        kind = _kind(name)
        if kind:
            totals[kind] += nbytes
    map_path = Path(str(elf) + ".map")
    if map_path.is_file() and totals["rodata"] == 0:
        rodata = sum(n for s, n, _ in _map_sections(map_path) if _kind(s) == "rodata")
        rodata = min(rodata, totals["text"])
        totals["text"] -= rodata
        totals["rodata"] = rodata
    return SizeReport(**totals, stack=_stack_reservation(plat, Path(elf)) if plat.emulated else 0)


def _stack_reservation(plat: Platform, elf: Path) -> int:
    """__td_stack_top - __td_stack_bottom: the reservation build() made (picolibc's
    script sizes its .stack placeholder before our --defsym is seen, so the section
    size is not it)."""
    nm = toolchains.require(plat.nm)
    out = subprocess.run([nm, str(elf)], capture_output=True, text=True, check=True).stdout
    found = {parts[2]: int(parts[0], 16) for parts in (line.split() for line in out.splitlines())
             if len(parts) == 3 and parts[2] in ("__td_stack_top", "__td_stack_bottom")}
    if len(found) != 2:
        return 0
    return found["__td_stack_top"] - found["__td_stack_bottom"]
