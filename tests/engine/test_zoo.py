"""The random-model zoo: 32 small Keras models, each converted with a fixed batch of 1 and the
default (dynamic batch) way, generated to C, built once into one program with gcc
-std=c99 -Wall -Wextra -Werror, driven through td_model_invoke (one prefix per model)
and compared byte for byte with BUILTIN_REF on random int8 windows.

Reproduce one failure: `build(seed, 1 or None)` in zoo_models.py gives the Keras model;
the fixtures are in tests/engine/conftest.py.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

from conftest import need_tools

from .zoo_build import N_MODELS, VARIANTS, ZooResult, covering_subset, generate_sources, windows_for


@pytest.mark.slow
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("seed", range(N_MODELS))
def test_zoo_model_is_bit_exact(zoo, seed, variant):
    r = zoo[(seed, variant)]
    assert r.refused is None, f"zoo {seed} ({variant}) {r.description}: {r.refused}"
    same = np.all(r.got == r.expected, axis=1)
    assert same.all(), (f"zoo {seed} ({variant}) {r.description}: {int(same.sum())}/{len(same)} windows "
                        f"bit-exact; first mismatch window {int(np.argmin(same))}")


@pytest.mark.slow
def test_zoo_covers_the_op_set_and_the_dynamic_batch_patterns(zoo):
    """The zoo is only a proof if it meets every op of part 2 and both dynamic-batch patterns."""
    fixed = collections.Counter(op for (_, v), r in zoo.items() if v == "fixed" for op in r.opcodes)
    dynamic = collections.Counter(op for (_, v), r in zoo.items() if v == "dynamic" for op in r.opcodes)
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MEAN", "AVERAGE_POOL_2D", "MAX_POOL_2D",
               "REDUCE_MAX", "SOFTMAX", "LOGISTIC", "TANH", "ADD", "SUB", "MUL", "CONCATENATION", "PAD",
               "STRIDED_SLICE", "SPLIT", "UNPACK", "RELU"):
        assert fixed[op] + dynamic[op] > 0, f"no zoo model has {op}"
    for op in ("SHAPE", "PACK", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"):
        assert dynamic[op] > 0 and fixed[op] == 0, op


@pytest.mark.slow
@pytest.mark.toolchain
@pytest.mark.parametrize("platform", ["cortex-m0plus", "cortex-m4", "rv32"])
def test_zoo_subset_on_emulated_cores(zoo_converted, tmp_path, platform):
    """Models meeting every zoo opcode, cross-compiled and run in QEMU: BUILTIN_REF's bytes."""
    from tinydistill import emu, oracle

    plat = emu.get(platform)
    need_tools(plat.cc, "qemu-system-riscv32" if platform == "rv32" else "qemu-system-arm")
    keys = covering_subset(zoo_converted, 6)
    subset = {k: ZooResult(zoo_converted[k].description, zoo_converted[k].opcodes, zoo_converted[k].tflite)
              for k in keys}
    src = tmp_path / "src"
    order = generate_sources(subset, src)
    assert order == keys, [subset[k].refused for k in keys]
    elf = emu.build(plat, sorted(src.glob("*.c")), include_dirs=[src], out=tmp_path / "zoo.elf")
    for k, key in enumerate(order):
        x = windows_for(key, subset[key].tflite, 6)
        (tmp_path / f"in{k}.bin").write_bytes(x.tobytes())
        result = emu.run(plat, elf, args=[str(k), f"in{k}.bin"], cwd=tmp_path, timeout=120)
        assert result.returncode == 0, result
        got = np.array([[int(v) for v in line.split()] for line in result.stdout.strip().splitlines()])
        expected = oracle.run(subset[key].tflite, x).reshape(len(x), -1)
        assert np.array_equal(got, expected), f"zoo {key} {subset[key].description} differs on {platform}"
