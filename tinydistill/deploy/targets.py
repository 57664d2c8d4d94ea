"""The deployment targets, loaded from targets.toml: board facts, PlatformIO ids and a latency cost model."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from ..errors import TinyDistillError

REGISTRY_FILE = Path(__file__).resolve().parent / "targets.toml"
# Written by benchmarks/calibrate_costs.py: measured instruction rates per emulated core and
# kernel code sizes; they replace targets.toml's estimates for the op kinds they cover.
MEASURED_FILE = Path(__file__).resolve().parent / "costs_measured.json"

# Op kinds of the cost and code-size models; analysis.op_kind() maps TFLite opcodes onto them
# (conv_gemm: a CONV_2D that the DSP cores run on the GEMM path, analysis.analyze).
OP_KINDS = ("conv", "conv_gemm", "depthwise", "fully_connected", "reduce", "pool", "softmax", "activation", "elementwise",
            "reshape", "other")
EMU_PLATFORMS = ("host", "cortex-m0plus", "cortex-m4", "cortex-m7", "cortex-m33", "rv32", "xtensa-lx106")


@dataclass(frozen=True)
class OpCost:
    """Cycles for one op: mac·MACs + add·(additions/comparisons) + element·output elements + call."""

    mac: float
    add: float
    element: float
    call: float

    def cycles(self, macs: int, adds: int, elements: int) -> float:
        return self.mac * macs + self.add * adds + self.element * elements + self.call


@dataclass(frozen=True)
class CostModel:
    """Per-op-kind cycle costs of one core; `source` says "estimate: ..." or "measured: <how>"."""

    source: str
    ops: Mapping[str, OpCost]
    measured_kinds: frozenset[str] = frozenset()  # op kinds whose figures were measured

    def cost(self, kind: str) -> OpCost:
        return self.ops.get(kind, self.ops["other"])


@dataclass(frozen=True)
class Target:
    """One deployment target: its canonical board and everything later steps need to know about it."""

    name: str
    board: str
    core: str
    arch: str
    dsp: bool  # the core's builds take the DSP kernels' paths (TD_USE_DSP), so their arena holds scratch
    clock_hz: int
    sram_bytes: int
    flash_bytes: int
    pio_platform: str
    pio_boards: tuple[str, ...]
    frameworks: tuple[str, ...]  # the first is the default
    qemu_machine: str | None
    emu_platform: str
    cost: CostModel
    stack_bytes: int = 512  # the stack one inference needs
    stack_source: str = "estimate"

    @property
    def pio_board(self) -> str:
        """The canonical PlatformIO board id."""
        return self.pio_boards[0]


@dataclass(frozen=True)
class CodeSizeModel:
    """Flash taken by generated code per op kind (bytes), with where the figures come from."""

    source: str
    runtime: int
    per_op_call: int  # a call site of a kind without a measured figure of its own
    kinds: Mapping[str, int]
    measured_kinds: frozenset[str] = frozenset()
    calls: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))  # measured call site per kind

    def bytes_for(self, kind: str) -> int:
        """One kernel of `kind` (0 where the generator specializes it into the call sites)."""
        return self.kinds.get(kind, self.kinds["other"])

    def call_bytes(self, kind: str) -> int:
        """One op's call site: its share of td_model_invoke, its parameters and (in DSP builds) its own
        specialized function."""
        return self.calls.get(kind, self.per_op_call)


def _load(path: Path = REGISTRY_FILE) -> tuple[dict[str, Target], CodeSizeModel, int, str]:
    data = tomllib.loads(path.read_text())
    targets = {}
    for name, t in data["targets"].items():
        cost = t["cost"]
        missing = [k for k in OP_KINDS if k not in cost]
        if missing or t["emu_platform"] not in EMU_PLATFORMS:
            raise ValueError(f"{path}: target {name} lacks cost kinds {missing} or has a bad emu_platform")
        targets[name] = Target(
            name=name, board=t["board"], core=t["core"], arch=t["arch"], dsp=bool(t["dsp"]), clock_hz=int(t["clock_hz"]),
            sram_bytes=int(t["sram_bytes"]), flash_bytes=int(t["flash_bytes"]), pio_platform=t["pio_platform"],
            pio_boards=tuple(t["pio_boards"]), frameworks=tuple(t["frameworks"]),
            qemu_machine=t.get("qemu_machine"), emu_platform=t["emu_platform"],
            stack_bytes=int(data["stack"]["bytes"]), stack_source=data["stack"]["source"],
            cost=CostModel(source=cost["source"],
                           ops=MappingProxyType({k: OpCost(**cost[k]) for k in OP_KINDS})),
        )
    code = data["code"]
    code_model = CodeSizeModel(source=code["source"], runtime=int(code["runtime"]),
                               per_op_call=int(code["per_op_call"]),
                               kinds=MappingProxyType({k: int(code[k]) for k in OP_KINDS}))
    if MEASURED_FILE.is_file():
        scales = {n: t["cost"]["scale_measured"] for n, t in data["targets"].items() if "scale_measured" in t["cost"]}
        targets, code_model = _with_measurements(targets, code_model, json.loads(MEASURED_FILE.read_text()), scales)
    return targets, code_model, int(data["stack"]["bytes"]), data["stack"]["source"]


def _with_measurements(targets: dict[str, Target], code: CodeSizeModel, measured: dict, scales: dict):
    """Overlay measured op costs (per emulated core) and kernel sizes on the estimates."""
    out = {}
    for name, t in targets.items():
        scale = scales.get(name)
        if scale:  # no emulator for this core: another core's measured rates, scaled (still an estimate)
            rates = {k: {f: v * scale["factor"] if f != "call" else v for f, v in c.items()}
                     for k, c in measured["costs"].get(scale["platform"], {}).items()}
        else:
            rates = measured["costs"].get(t.emu_platform) if t.emu_platform != "host" else None
        if not rates:
            out[name] = t
            continue
        ops = dict(t.cost.ops)
        ops.update({k: OpCost(**v) for k, v in rates.items() if k in ops})
        if scale:
            source = (f"estimate: the rates measured on {scale['platform']} x {scale['factor']:g} for "
                      f"{', '.join(sorted(rates))} ({measured['source']}); other op kinds: {t.cost.source}")
            kinds = frozenset()
        else:
            source = (f"{measured['source']} on {t.emu_platform} for {', '.join(sorted(rates))}; "
                      f"other op kinds: {t.cost.source}")
            kinds = frozenset(k for k in rates if k in ops)
        out[name] = replace(t, cost=CostModel(source=source, ops=MappingProxyType(ops), measured_kinds=kinds))
        stack = measured.get("stack", {}).get(t.emu_platform)
        if stack and not scale:
            out[name] = replace(out[name], stack_bytes=int(stack),
                                stack_source=f"{measured['stack_source']} on {t.emu_platform}")
    kinds = dict(code.kinds)
    kinds.update({k: int(v) for k, v in measured["code"]["kinds"].items() if k in kinds})
    per_call = measured["code"].get("per_op_call") or code.per_op_call
    calls = {k: int(v) for k, v in measured["code"].get("calls", {}).items() if k in kinds}
    code = CodeSizeModel(source=f"{measured['code_source']} for {', '.join(sorted(measured['code']['kinds']))}; "
                                f"call sites measured likewise; other op kinds and the runtime: {code.source}",
                         runtime=code.runtime, per_op_call=int(per_call), kinds=MappingProxyType(kinds),
                         measured_kinds=frozenset(k for k in measured["code"]["kinds"] if k in kinds),
                         calls=MappingProxyType(calls))
    return out, code


_TARGETS, CODE_SIZE, STACK_BYTES, STACK_SOURCE = _load()
TARGETS: Mapping[str, Target] = MappingProxyType(_TARGETS)


def target_names() -> list[str]:
    """The valid target names, in registry order."""
    return list(TARGETS)


def get_target(name: str) -> Target:
    """The target called `name`; an unknown name lists the valid ones."""
    try:
        return TARGETS[name]
    except KeyError:
        raise TinyDistillError(f"unknown target {name!r}; choose one of: {', '.join(TARGETS)}") from None
