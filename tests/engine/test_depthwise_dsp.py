"""DEPTHWISE_CONV_2D's Armv7E-M path in QEMU: the blocked kernel (lane planes, outputs by
three along the longer axis, the 3-tap asm rows) and its fallbacks give BUILTIN_REF's
bytes on the DSP cores, across both blocking axes, block tails, strides, dilation,
padding, 1-D windows, a plane over the generator's limit and a depth multiplier; its
planes live in the arena (planned scratch), not on the stack."""

import pytest
from conftest import need_tools

from tinydistill import emu

from .dsp_check import assert_bit_exact, convert, program

pytestmark = pytest.mark.toolchain

WINDOWS = 6


def _models() -> dict[str, bytes]:
    from keras import layers as L

    specs = {
        # name: (input shape, layer); channels by four take the blocked path
        "v3x3_same": ((13, 5, 8), L.DepthwiseConv2D(3, padding="same")),  # a = height, 4 blocks + 1
        "h3x3_same": ((4, 11, 8), L.DepthwiseConv2D(3, padding="same", activation="relu")),  # a = width
        "s2_valid": ((9, 7, 4), L.DepthwiseConv2D(3, strides=2, padding="valid")),
        "dil_relu6": ((6, 9, 12), L.DepthwiseConv2D((2, 3), dilation_rate=(1, 2), padding="same",
                                                     activation="relu6")),
        "k5_1d": ((20, 8), L.DepthwiseConv1D(5, padding="same")),
        "k3_1d": ((30, 4), L.DepthwiseConv1D(3, padding="same", activation="relu")),
        "big_plane": ((20, 20, 4), L.DepthwiseConv2D(3, padding="same")),  # plane over _DW_PLANE_MAX
        "mult2": ((6, 6, 4), L.DepthwiseConv2D(3, padding="same", depth_multiplier=2)),
    }
    return convert(specs)


@pytest.fixture(scope="module")
def depthwise_program(tmp_path_factory):
    models = _models()
    src = program(models, tmp_path_factory.mktemp("dw") / "src", "dw")
    return models, src


@pytest.mark.parametrize("platform", ["cortex-m4", "cortex-m7", "cortex-m33"])
def test_depthwise_dsp_path_is_bit_exact(depthwise_program, tmp_path, platform):
    models, src = depthwise_program
    assert_bit_exact(models, src, tmp_path, platform, WINDOWS)


def test_the_folded_offset_requantization_is_exercised(depthwise_program):
    """fast_requant 2 (output offset folded into the rounding constant) is in the models run above."""
    _, src = depthwise_program
    assert any(".fast_requant = 2," in c.read_text() for c in src.glob("dw_*.c"))


# What one inference may take of the stack: the budget's estimate (targets.toml [stack]).
STACK_BUDGET = 512

STACK_MAIN = """#include <stdio.h>
#include "td_bench.h"
{includes}
static int8_t input[4096], output[4096];
int main(void)
{{
    int status = 0;
    size_t used;
{calls}
    return status;
}}
"""


def test_the_blocked_path_keeps_its_planes_off_the_stack(depthwise_program, tmp_path):
    """Each model's td_model_invoke, blocked path included, stays within the budget's stack."""
    need_tools(emu.get("cortex-m4").cc, "qemu-system-arm")
    models, src = depthwise_program
    names = list(models)
    calls = "".join(f"    td_stack_reset();\n    status |= dw_{n}_invoke(input, output);\n"
                    f"    used = td_stack_used();\n    printf(\"%lu\\n\", (unsigned long)used);\n" for n in names)
    main = tmp_path / "stack_main.c"
    main.write_text(STACK_MAIN.format(includes="".join(f'#include "dw_{n}.h"\n' for n in names), calls=calls))
    sources = [c for c in sorted(src.glob("*.c")) if c.name != "main.c"] + [main]
    elf = emu.build("cortex-m4", sources, include_dirs=[src], out=tmp_path / "stack.elf")
    result = emu.run("cortex-m4", elf, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result
    used = dict(zip(names, (int(v) for v in result.stdout.split())))
    assert len(used) == len(names) and all(0 < u <= STACK_BUDGET for u in used.values()), used


def test_the_blocked_path_scratch_is_planned_in_the_arena(depthwise_program):
    """Channels by four get word-aligned scratch in the arena for that op alone; the others none."""
    from tinydistill.engine.compiled import compile

    models, _ = depthwise_program
    for name, tflite in models.items():
        memory = compile(tflite).memory
        scratch = [b for b in memory.buffers if b.scratch_of is not None]
        if name in ("big_plane", "mult2"):
            assert not scratch, name
            continue
        (b,) = scratch
        assert b.first == b.last and b.offset % 4 == 0 and b.size > 0, name
        # The input and output are the caller's (1-D: through EXPAND_DIMS/RESHAPE aliases): the
        # DSP builds' arena is the scratch alone, the others' empty.
        assert memory.arena_size_dsp == b.size and memory.arena_size == 0, name
