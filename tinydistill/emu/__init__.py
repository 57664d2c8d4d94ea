"""Build C for the host, Cortex-M and rv32, run it natively or in QEMU with semihosting,
count retired instructions exactly, and measure flash, RAM and stack.

    from tinydistill import emu
    elf = emu.build("cortex-m4", ["main.c", "model.c"], include_dirs=["gen"], out="build/app.elf")
    result = emu.run("cortex-m4", elf, args=["input.bin"], count_instructions=True)
    result.returncode, result.stdout, result.regions   # one count per td_bench_begin/end pair
    emu.size("cortex-m4", elf).flash

C programs include "td_bench.h" (firmware/platform, always on the include path) for
td_bench_begin(), td_bench_end() and td_stack_used().
"""

from .build import build, platform_dir
from .platforms import ICOUNT_HZ, PLATFORMS, STACK_BYTES, Platform, get
from .run import FAULT_EXIT_CODE, RunResult, qemu_command, run
from .size import SizeReport, flash_sections, object_sizes, size
from .symbols import Symbol, functions, symbols

__all__ = [
    "FAULT_EXIT_CODE", "ICOUNT_HZ", "PLATFORMS", "STACK_BYTES", "Platform", "RunResult", "SizeReport", "Symbol",
    "build", "flash_sections", "functions", "get", "object_sizes", "platform_dir", "qemu_command", "run", "size",
    "symbols",
]
