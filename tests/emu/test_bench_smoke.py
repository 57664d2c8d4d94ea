"""Smoke test of benchmarks/engine_vs_tflm.py on the anchor model: every figure is
produced and the Cortex-M4 output equals the reference interpreter's. No figure is
asserted against a speed target here (RESULTS.md holds the measured ones)."""

from __future__ import annotations

from conftest import need_tools
from tinydistill import emu


def test_engine_vs_tflm_measures_the_anchor(anchor_model, tmp_path):
    need_tools("gcc", "arm-none-eabi-gcc", "qemu-system-arm")
    from benchmarks import engine_vs_tflm as bench

    m = bench.measure("anchor", anchor_model, tmp_path, windows=2, host_seconds=0.02, rounds=1,
                      all_cores=False)
    assert m.bit_exact
    assert len(m.regions) == 2 and all(r > 16_624 for r in m.regions)  # at least one instruction per MAC
    assert len(m.region_cycles) == 2 and all(c >= r for c, r in zip(m.region_cycles, m.regions))
    assert m.arena > 0 and m.text > 0 and m.rodata > 0 and m.stack > 0
    assert m.tflm_arena_64bit and m.tflm_arena_64bit > m.arena
    assert m.host_ns > 0 and m.litert_ns > 0
    assert "td_model_invoke" in m.functions
    # The per-op breakdown finds every kernel call in the generated model.c, and the
    # markers barely change the total.
    assert len(m.ops_counts) >= 6
    assert abs(sum(c for _, c in m.ops_counts) - m.mean_instructions) < 0.05 * m.mean_instructions
    body = bench.report([m])
    assert "| anchor |" in body and "580,319" in body
    # Instruction counts are exact: the same windows give the same counts again.
    again = emu.run(bench.PLATFORM, tmp_path / "engine_m4.elf", args=["inputs.bin", "again.bin"], cwd=tmp_path,
                    count_instructions=True)
    assert again.regions == m.regions
