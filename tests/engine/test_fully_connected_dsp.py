"""FULLY_CONNECTED's Armv7E-M paths in QEMU: the paired-row kernel (one sign extension per
two products, sums modulo 2^32), the high-word requantization with the output offset folded
into its rounding constant, and the four-row and generic fallbacks give BUILTIN_REF's bytes on
the DSP cores, across row and input counts by four or not, sixteen or not, several input rows
and fused activations."""

import numpy as np
import pytest
from conftest import need_tools

from tinydistill import emu, oracle
from tinydistill.engine.codegen import generate
from tinydistill.engine.compiled import compile
from tinydistill.render import render

pytestmark = pytest.mark.toolchain

WINDOWS = 6


def _models() -> dict[str, bytes]:
    from keras import layers as L

    from .builders import convert_int8, representative, sequential

    specs = {
        # name: (input shape, layers); in_c and out_c by four take the paired path
        "by16": ((64,), [L.Dense(16, activation="relu")]),  # sixteen inputs a turn
        "by4": ((12,), [L.Dense(8)]),  # the four-input steps only
        "rows3": ((3, 40), [L.Dense(12, activation="relu6")]),  # three input rows
        "deep": ((128,), [L.Dense(8, activation="relu"), L.Dense(128)]),  # AD's 128 -> 8 -> 128
        "odd_out": ((24,), [L.Dense(6)]),  # out_c not by four: four-row/two-row paths
        "odd_in": ((10,), [L.Dense(8)]),  # in_c not by four: the plain loops
        "wide": ((2048,), [L.Dense(4)]),  # the next pair beyond LDR's immediates
    }
    out = {}
    for seed, (name, (shape, layers)) in enumerate(specs.items()):
        model = sequential(shape, layers, seed=seed)
        out[name] = convert_int8(model, representative(shape, seed=seed) * 2.0)
    return out


@pytest.fixture(scope="module")
def fc_program(tmp_path_factory):
    models = _models()
    src = tmp_path_factory.mktemp("fc") / "src"
    for name, tflite in models.items():
        generate(tflite, src, prefix=f"fc_{name}")
    (src / "main.c").write_text(render("engine/multi_check_main.c.j2", prefixes=[f"fc_{n}" for n in models]))
    return models, src


def test_the_paired_weights_are_generated_where_the_kernel_takes_them(fc_program):
    models, _ = fc_program
    paired = {name: any(dict(c.fields).get("weights_pairs") for c in compile(t).calls) for name, t in models.items()}
    assert paired == {"by16": True, "by4": True, "rows3": True, "deep": True, "odd_out": False, "odd_in": False,
                      "wide": False}


@pytest.mark.parametrize("platform", ["cortex-m4", "cortex-m7", "cortex-m33"])
def test_fully_connected_dsp_paths_are_bit_exact(fc_program, tmp_path, platform):
    need_tools(emu.get(platform).cc, "qemu-system-arm")
    models, src = fc_program
    elf = emu.build(platform, sorted(src.glob("*.c")), include_dirs=[src], out=tmp_path / "fc.elf")
    for k, (name, tflite) in enumerate(models.items()):
        shape = oracle.interpreter(tflite).get_input_details()[0]["shape"]
        x = np.random.default_rng(k).integers(-128, 128, (WINDOWS, *shape), dtype=np.int8)
        x[0] = -128  # every input at the bottom of the range: the paired sums' widest case
        x[1] = 127
        (tmp_path / f"in{k}.bin").write_bytes(x.tobytes())
        result = emu.run(platform, elf, args=[str(k), f"in{k}.bin"], cwd=tmp_path, timeout=120)
        assert result.returncode == 0, result
        got = np.array([[int(v) for v in line.split()] for line in result.stdout.strip().splitlines()])
        expected = oracle.run(tflite, x).reshape(WINDOWS, -1)
        assert np.array_equal(got, expected), f"{name} differs from BUILTIN_REF on {platform}"
