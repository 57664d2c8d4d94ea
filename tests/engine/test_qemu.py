"""The same generated C on emulated cores: the DSP (SMLAD/SMMULR) path on Cortex-M4 and
M33, the plain-C path on Cortex-M0+ and rv32 (ESP32-C3's ISA) give BUILTIN_REF's bytes, each
build with the arena its kernels use (the DSP kernels' scratch only where they run)."""

import subprocess

import numpy as np
import pytest
from conftest import need_tools

from tinydistill import emu, oracle
from tinydistill.engine.codegen import generate

pytestmark = pytest.mark.toolchain

MAIN = r"""
#include <stdio.h>
#include "model.h"
int main(int argc, char **argv)
{
    static int8_t in[TD_MODEL_INPUT_SIZE], out[TD_MODEL_OUTPUT_SIZE];
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
    int i;
    if (f == NULL) return 4;
    while (fread(in, 1, sizeof in, f) == sizeof in) {
        if (td_model_invoke(in, out) != 0) return 5;
        for (i = 0; i < TD_MODEL_OUTPUT_SIZE; ++i) printf("%d ", out[i]);
        printf("\n");
    }
    fclose(f);
    return 0;
}
"""


# The anchor's arena: its activations alone (1440 B), or with the DSP kernels' scratch (1496 B).
ARENA = {"cortex-m4": 1496, "cortex-m33": 1496, "cortex-m0plus": 1440, "rv32": 1440}


@pytest.mark.parametrize("platform", ["cortex-m4", "cortex-m33", "cortex-m0plus", "rv32"])
def test_anchor_in_qemu(anchor_model, tmp_path, platform):
    need_tools(emu.get(platform).cc, emu.get(platform).nm,
               "qemu-system-riscv32" if platform == "rv32" else "qemu-system-arm")
    src = tmp_path / "gen"
    files = generate(anchor_model, src)
    (tmp_path / "main.c").write_text(MAIN)
    elf = emu.build(platform, [*(p for p in files if p.suffix == ".c"), tmp_path / "main.c"], include_dirs=[src],
                    out=tmp_path / "app.elf")
    x = np.random.default_rng(11).integers(-128, 128, (20, 1, 128, 3), dtype=np.int8)
    (tmp_path / "in.bin").write_bytes(x.tobytes())
    result = emu.run(platform, elf, args=["in.bin"], cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result
    got = np.array([[int(v) for v in line.split()] for line in result.stdout.strip().splitlines()])
    assert np.array_equal(got, oracle.run(anchor_model, x).reshape(20, -1))
    symbols = subprocess.run([emu.get(platform).nm, "-S", str(elf)], capture_output=True, text=True,
                             check=True).stdout.split()
    assert int(symbols[symbols.index("td_model_arena") - 2], 16) == ARENA[platform]
