"""The op registry: every op the engine takes is one entry, registered next to its lowering.

`@lowers("CONV_2D", support="...")` registers a lowering; `declare` registers an op the
engine takes without a kernel (an alias, or one folded away before lowering). `--list-ops`
and the "unsupported op" error both read this registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..ir import Model, Operator
from .call import Call

Lowering = Callable[[Model, Operator], Call]


@dataclass(frozen=True)
class OpEntry:
    """One supported op: its lowering (None: no kernel, see `support`) and what it supports."""

    opcode: str
    lowering: Lowering | None
    support: str


_ENTRIES: dict[str, OpEntry] = {}


def _add(entry: OpEntry) -> None:
    if entry.opcode in _ENTRIES:
        raise RuntimeError(f"{entry.opcode} is registered twice")
    _ENTRIES[entry.opcode] = entry


def lowers(*opcodes: str, support: str) -> Callable[[Lowering], Lowering]:
    """Register the decorated function as the lowering of `opcodes`."""

    def register(fn: Lowering) -> Lowering:
        for opcode in opcodes:
            _add(OpEntry(opcode, fn, support))
        return fn

    return register


def declare(opcode: str, support: str) -> None:
    """Register an op taken without a kernel of its own (an alias, or folded before lowering)."""
    _add(OpEntry(opcode, None, support))


def lowering_for(opcode: str) -> Lowering | None:
    """The lowering of `opcode`, or None when it has none."""
    entry = _ENTRIES.get(opcode)
    return entry.lowering if entry else None


def supported() -> dict[str, str]:
    """Op name → the options and limits supported, sorted by name."""
    return {name: _ENTRIES[name].support for name in sorted(_ENTRIES)}
