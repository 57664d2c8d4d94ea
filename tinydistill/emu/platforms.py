"""The platforms code is built for and run on: the host, Cortex-M cores on QEMU's mps2
boards, and rv32imc on QEMU's virt machine. Each knows its compiler, flags, start-up
files, linker script, QEMU command line and the facts of its emulated clock."""

from __future__ import annotations

from dataclasses import dataclass

# Bytes reserved for the stack on the emulated boards by default (the top of RAM;
# build(stack_bytes=...) changes it); counted in SizeReport.ram and painted at reset
# so that td_stack_used() can measure it.
STACK_BYTES = 16 * 1024

# With `-icount shift=0` every retired instruction advances QEMU's virtual clock by
# 1 ns: the virtual clock runs at 1 GHz of instructions.
ICOUNT_HZ = 1_000_000_000


@dataclass(frozen=True)
class Platform:
    """How to build for and run on one platform."""

    name: str
    kind: str  # "host" | "arm" | "riscv" | "xtensa"
    description: str
    cc: str
    cpu_flags: tuple[str, ...] = ()
    compile_flags: tuple[str, ...] = ()  # compile only: which C library's headers
    link_flags: tuple[str, ...] = ()
    startup: tuple[str, ...] = ()  # files of firmware/platform compiled into every program
    linker_script: str | None = None  # in firmware/platform
    qemu: str | None = None
    machine: str | None = None
    qemu_cpu: str | None = None  # -cpu, where the machine's default core is not the one wanted
    # The frequency at which the machine's timers (mps2 timers and SysTick, RISC-V
    # mtime) count virtual time: under -icount shift=0 one tick is
    # ICOUNT_HZ / timer_hz retired instructions.
    timer_hz: int | None = None
    # The TCG plugin's cycle model for this core (tinydistill/emu/m4_cycles.h), or None.
    cycle_model: str | None = None

    def stack_flags(self, stack_bytes: int) -> tuple[str, ...]:
        """Linker flags that reserve `stack_bytes` of stack (none on the host)."""
        if self.kind in ("arm", "xtensa"):
            return (f"-Wl,--defsym=__td_stack_size={stack_bytes}",)
        if self.kind == "riscv":
            return (f"-Wl,--defsym=__stack_size={stack_bytes}",)
        return ()

    @property
    def emulated(self) -> bool:
        return self.qemu is not None

    @property
    def instructions_per_tick(self) -> int | None:
        return ICOUNT_HZ // self.timer_hz if self.timer_hz else None

    @property
    def binutils_prefix(self) -> str:
        return self.cc[: -len("gcc")]

    @property
    def nm(self) -> str:
        return self.binutils_prefix + "nm"

    @property
    def size_tool(self) -> str:
        return self.binutils_prefix + "size"


_ARM_LINK = ("--specs=rdimon.specs", "-nostartfiles", "-Wl,--gc-sections")
_ARM_STARTUP = ("cortex_m_startup.c", "td_semihost.c", "td_bench.c")


def _cortex_m(name: str, cpu: tuple[str, ...], machine: str, script: str, timer_hz: int, what: str,
              cycle_model: str | None = None) -> Platform:
    return Platform(
        name=name,
        kind="arm",
        description=f"{what}, run on qemu-system-arm -M {machine}",
        cc="arm-none-eabi-gcc",
        cpu_flags=("-mthumb", *cpu),
        link_flags=_ARM_LINK,
        startup=_ARM_STARTUP,
        linker_script=script,
        qemu="qemu-system-arm",
        machine=machine,
        timer_hz=timer_hz,
        cycle_model=cycle_model,
    )


# Debian installs the lx106 picolibc's specs outside the compiler's search path.
_XTENSA_PICOLIBC = "--specs=/usr/lib/xtensa-lx106-elf/picolibc.specs"

_RV32_MEMORY = {"__flash": 0x80000000, "__flash_size": 0x400000, "__ram": 0x80400000, "__ram_size": 0x400000}

PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform(name="host", kind="host", description="native build and run with gcc", cc="gcc",
                 link_flags=("-Wl,--gc-sections",), startup=("td_bench.c",)),
        # ARMv6-M code runs on the M3 of mps2-an385: its instruction stream is the M0+'s.
        _cortex_m("cortex-m0plus", ("-mcpu=cortex-m0plus",), "mps2-an385", "mps2_an385.ld", 25_000_000,
                  "Cortex-M0+ code"),
        _cortex_m("cortex-m4", ("-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"), "mps2-an386",
                  "mps2_an385.ld", 25_000_000, "Cortex-M4F (hard float)", cycle_model="m4"),
        _cortex_m("cortex-m7", ("-mcpu=cortex-m7", "-mfloat-abi=hard", "-mfpu=fpv5-d16"), "mps2-an500",
                  "mps2_an500.ld", 25_000_000, "Cortex-M7 (hard float, double precision FPU)"),
        _cortex_m("cortex-m33", ("-mcpu=cortex-m33", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"), "mps2-an505",
                  "mps2_an505.ld", 20_000_000, "Cortex-M33 (hard float, secure state)"),
        Platform(
            name="rv32",
            kind="riscv",
            description="rv32imc (ESP32-C3's ISA), run on qemu-system-riscv32 -M virt",
            cc="riscv64-unknown-elf-gcc",
            cpu_flags=("-march=rv32imc", "-mabi=ilp32"),
            compile_flags=("--specs=picolibc.specs",),  # picolibc's headers, not newlib's
            link_flags=(
                "--specs=picolibc.specs", "--oslib=semihost", "--crt0=semihost", "-Wl,--gc-sections",
                *(f"-Wl,--defsym={k}={v:#x}" for k, v in _RV32_MEMORY.items()),
                "-Wl,--defsym=__td_stack_top=__stack",
                "-Wl,--defsym=__td_stack_bottom=__stack-__stack_size",
            ),
            startup=("rv32_glue.c", "td_semihost.c", "td_bench.c"),
            qemu="qemu-system-riscv32",
            machine="virt",
            timer_hz=10_000_000,
        ),
        # The ESP8266's core. Debian's lx106 libgcc lacks the integer division, 64-bit multiply
        # and single-precision soft-float helpers: xtensa_libgcc.c supplies them.
        Platform(
            name="xtensa-lx106",
            kind="xtensa",
            description="Xtensa lx106 (ESP8266's core, no FPU), run on qemu-system-xtensa -M sim -cpu lx106",
            cc="xtensa-lx106-elf-gcc",
            compile_flags=(_XTENSA_PICOLIBC,),
            link_flags=(_XTENSA_PICOLIBC, "-nostartfiles", "-Wl,--gc-sections"),
            startup=("xtensa_startup.c", "xtensa_syscalls.c", "xtensa_libgcc.c", "td_semihost.c", "td_bench.c"),
            linker_script="xtensa_lx106.ld",
            qemu="qemu-system-xtensa",
            machine="sim",
            qemu_cpu="lx106",
        ),
    )
}


def get(name: str) -> Platform:
    """The platform called `name`; an unknown name lists the known ones."""
    from ..errors import TinyDistillError

    try:
        return PLATFORMS[name]
    except KeyError:
        raise TinyDistillError(f"unknown platform '{name}'; choose one of: {', '.join(PLATFORMS)}") from None
