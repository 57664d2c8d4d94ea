"""The Cortex-M4 cycle estimate of the TCG plugin (tinydistill/emu/m4_cycles.h) on
hand-written sequences whose cycle counts the Cortex-M4 TRM (section 3.3) states."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import need_tools
from tinydistill import emu
from tinydistill.errors import TinyDistillError

C = Path(__file__).resolve().parent / "c"

# (case of m4_timing.c, its cycles, instructions), in the program's order.
CASES = [
    ("empty", 0, 0),
    ("alu8", 8, 8),  # data processing: 1 each
    ("smlad4", 4, 4),  # SMLAD: 1
    ("ldr_ldr", 3, 2),  # "LDR R0,[R1]; LDR R1,[R2] - normally three cycles total"
    ("ldr_str", 3, 2),  # "LDR R0,[R1,R2]; STR R0,[R3,#20] - normally three cycles total"
    ("ldr3", 4, 3),  # "LDR R0,[R1,R5]; LDR R1,[R2]; LDR R2,[R3,#4] - normally four cycles total"
    ("ldr_dep", 4, 2),  # the second load's address is the first's result: not pipelined
    ("stm8", 9, 1),  # "an eight element store takes nine cycles" (1 + N)
    ("ldm3", 4, 1),  # LDM: 1 + N (table 3-1)
    ("ldrd", 3, 1),  # "LDRD ... requires three cycles when not stalled"
    ("not_taken", 3, 3),  # CMP, B<c> not taken (1), NOP
    ("taken", 4, 3),  # CMP, B<c> taken (1 + P, P = 1 for an immediate target), NOP
    ("unaligned_odd", 4, 1),  # byte-aligned word load: 2 extra cycles
    ("unaligned_half", 3, 1),  # halfword-aligned word load: 1 extra cycle
    ("sdiv", 12, 1),  # SDIV: 2 to 12, the worst case taken
]


@pytest.fixture(scope="module")
def timing(tmp_path_factory) -> emu.RunResult:
    plat = emu.PLATFORMS["cortex-m4"]
    need_tools(plat.cc, plat.qemu)
    elf = emu.build(plat, [C / "m4_timing.c"], out=tmp_path_factory.mktemp("m4") / "timing.elf")
    result = emu.run(plat, elf, count_instructions=True, estimate_cycles=True)
    assert result.ok, result.stdout + result.stderr
    return result


@pytest.mark.parametrize("name,cycles,instructions", CASES[1:], ids=[c[0] for c in CASES[1:]])
def test_sequence_costs_what_the_trm_says(timing, name, cycles, instructions):
    i = [c[0] for c in CASES].index(name)
    assert len(timing.region_cycles) == len(timing.regions) == len(CASES)
    assert timing.regions[i] - timing.regions[0] == instructions
    assert timing.region_cycles[i] - timing.region_cycles[0] == cycles


def test_cycles_cover_every_instruction(timing):
    assert timing.cycles >= timing.instructions > 0
    assert all(c >= i for c, i in zip(timing.region_cycles, timing.regions))


def test_only_the_m4_has_a_cycle_model(tmp_path):
    plat = emu.PLATFORMS["cortex-m0plus"]
    need_tools(plat.qemu)
    elf = tmp_path / "never_run.elf"
    elf.write_bytes(b"")
    with pytest.raises(TinyDistillError, match="no cycle model for cortex-m0plus"):
        emu.run(plat, elf, estimate_cycles=True)
