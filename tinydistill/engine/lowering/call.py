"""What lowering produces: one kernel call with its generation-time parameters and constant arrays."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConstArray:
    """A constant C array of one op (flash)."""

    name: str  # suffix, e.g. "weights"
    ctype: str  # "int8_t" / "int32_t"
    values: tuple[int, ...]


@dataclass(frozen=True)
class Call:
    """One kernel call: `kernel(&params, input, output)`."""

    op: int
    opcode: str
    layer: str | None
    kernel: str
    header: str
    ptype: str
    fields: tuple[tuple[str, object], ...]  # value: int, or ConstArray name (str) for pointers
    arrays: tuple[ConstArray, ...]
    input: int
    output: int
    macs: int = 0
    # Kernels of several inputs/outputs take C arrays of pointers: tensor indices, or the
    # name of a pointer field of the params (a constant operand). None: the single input/output.
    input_list: tuple[int | str, ...] | None = None
    output_list: tuple[int, ...] | None = None
    # The kernel has an inline `<kernel>_impl` that model.c specializes with constant parameters.
    specialize: bool = False
    # Bytes of working memory the kernel takes from the arena while it runs (its params'
    # `scratch` pointer, word-aligned); 0: none, and a kernel without it takes its plain path.
    scratch: int = 0
    # Fields that only the Armv7E-M / Armv8-M paths read (TD_USE_DSP, td_dsp.h): the kernel's params
    # struct declares them, and the generated C sets them and defines the arrays they alone name,
    # only in builds with those paths, so that the other builds' flash holds none of it.
    dsp_fields: tuple[str, ...] = ()
