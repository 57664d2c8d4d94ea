"""Run a built program: natively on the host, or in QEMU with semihosting, killed at a
timeout, optionally counting every retired instruction with our TCG plugin."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import toolchains
from ..errors import TinyDistillError
from . import plugin, symbols
from .platforms import PLATFORMS, Platform, get

FAULT_EXIT_CODE = 134  # firmware/platform/td_platform.h: a HardFault, trap or illegal instruction


@dataclass(frozen=True)
class RunResult:
    """What a run did. `returncode` is None when the run was killed at its timeout.

    `instructions` is the exact number of retired guest instructions (QEMU with
    count_instructions only), `regions` one count per td_bench_begin/td_bench_end
    pair in execution order, `functions` the instructions executed inside each
    function (self counts; with profile=True only). With estimate_cycles on a platform
    that has a cycle model (Cortex-M4), `cycles` and `region_cycles` are the same run's
    estimated core cycles at zero flash wait states (tinydistill/emu/m4_cycles.h).
    """

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    instructions: int | None = None
    regions: list[int] = field(default_factory=list)
    functions: dict[str, int] = field(default_factory=dict)
    cycles: int | None = None
    region_cycles: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def crashed(self) -> bool:
        """A fault on the emulated core, or a signal on the host."""
        return self.returncode is not None and (self.returncode == FAULT_EXIT_CODE or self.returncode < 0)

    def describe(self) -> str:
        """One line for an error message: how the run ended."""
        if self.timed_out:
            return "timed out (killed)"
        if self.returncode == FAULT_EXIT_CODE:
            fault = [line for line in (self.stdout + self.stderr).splitlines() if line.startswith("td_fault:")]
            return f"crashed ({fault[-1] if fault else 'fault'})"
        if self.returncode is not None and self.returncode < 0:
            return f"killed by signal {-self.returncode}"
        return f"exited with code {self.returncode}"


def _semihosting_args(plat: Platform, elf: Path, args: tuple[str, ...]) -> str:
    for a in args:
        if not a or any(c.isspace() for c in a):
            raise TinyDistillError(f"argument {a!r} cannot pass through semihosting (QEMU joins arguments with "
                                   "spaces): use arguments without whitespace")
    # Our start-ups (Arm, Xtensa) take argv[0] from the command line; picolibc's rv32
    # crt0 supplies its own argv[0] and reads only the arguments.
    words = (elf.stem, *args) if plat.kind in ("arm", "xtensa") else args
    config = "enable=on,target=native"
    if not words:
        return config + ",arg="  # an empty command line: otherwise QEMU passes the kernel's path
    return config + "".join(",arg=" + w.replace(",", ",,") for w in words)


def qemu_command(plat: Platform, elf: Path, args: tuple[str, ...] = ()) -> list[str]:
    """The QEMU command line that runs `elf` on `plat` (without the counting plugin)."""
    qemu = toolchains.require(plat.qemu)
    # The semihosting console goes to a stdio chardev rather than -nographic's mux:
    # otherwise QEMU 7.2 writes console output (picolibc's stdout, SYS_WRITE0) to its
    # stderr while newlib's stdout reaches its stdout. The guest's stdout and stderr
    # both arrive on QEMU's stdout; QEMU's stderr carries only QEMU's own messages.
    cmd = [qemu, "-M", plat.machine, "-display", "none", "-serial", "none", "-monitor", "none",
           "-chardev", "stdio,id=td_console",
           "-semihosting-config", _semihosting_args(plat, elf, args) + ",chardev=td_console",
           "-icount", "shift=0"]
    if plat.qemu_cpu:
        cmd += ["-cpu", plat.qemu_cpu]
    if plat.kind == "riscv":
        cmd += ["-bios", "none"]
    return cmd + ["-kernel", str(elf)]


@dataclass
class _Counts:
    total: int | None = None
    regions: list[int] = field(default_factory=list)
    functions: dict[str, int] = field(default_factory=dict)
    cycles: int | None = None
    region_cycles: list[int] = field(default_factory=list)


def _read_counts(path: Path, funcs: list[symbols.Symbol]) -> _Counts:
    counts = _Counts()
    if not path.is_file():
        return counts
    for line in path.read_text().splitlines():
        parts = line.split()
        if parts[0] == "total":
            counts.total = int(parts[1])
        elif parts[0] == "region":
            counts.regions.append(int(parts[1]))
        elif parts[0] == "func":
            counts.functions[funcs[int(parts[1])].name] = int(parts[2])
        elif parts[0] == "cycles":
            counts.cycles = int(parts[1])
        elif parts[0] == "region_cycles":
            counts.region_cycles.append(int(parts[1]))
    return counts


def run(
    platform: str | Platform,
    elf: str | os.PathLike,
    *,
    args: tuple[str, ...] | list[str] = (),
    stdin: bytes | str | None = None,
    cwd: str | os.PathLike | None = None,
    timeout: float = 60.0,
    count_instructions: bool = False,
    profile: bool = False,
    estimate_cycles: bool = False,
) -> RunResult:
    """Run `elf` on `platform` and return how it ended.

    Semihosting file paths are relative to `cwd`. `stdin` is supported on the host
    only (QEMU 7.2's semihosting console cannot signal end of input; pass a file name
    in `args` instead). `count_instructions` counts retired instructions exactly
    (QEMU only; the host leaves the counts None/empty); `profile` also counts per
    function. The run is killed after `timeout` seconds (timed_out=True); a crash on
    an emulated core exits at once with FAULT_EXIT_CODE.
    """
    plat = platform if isinstance(platform, Platform) else get(platform)
    elf = Path(elf).resolve()
    if not elf.is_file():
        raise TinyDistillError(f"program {elf} not found; build it first")
    args = tuple(str(a) for a in args)
    data = stdin.encode() if isinstance(stdin, str) else stdin
    if not plat.emulated:
        return _execute([str(elf), *args], data, cwd, timeout)
    if data is not None:
        raise TinyDistillError(f"stdin cannot be fed to a program in QEMU ({plat.name}); give it a file name "
                               "argument and read the file through semihosting")
    cmd = qemu_command(plat, elf, args)
    if estimate_cycles and plat.cycle_model is None:
        raise TinyDistillError(f"no cycle model for {plat.name}: cycles are estimated on "
                               + ", ".join(p.name for p in PLATFORMS.values() if p.cycle_model))
    if not (count_instructions or profile or estimate_cycles):
        return _execute(cmd, None, cwd, timeout)
    with tempfile.TemporaryDirectory(prefix="td-icount-") as tmp:
        counts = Path(tmp) / "counts.txt"
        opts = [f"out={counts}"]
        begin = symbols.address_of(plat, elf, "td_bench_begin")
        end = symbols.address_of(plat, elf, "td_bench_end")
        if begin is not None and end is not None:
            opts += [f"begin={begin:x}", f"end={end:x}"]
        funcs: list[symbols.Symbol] = []
        if profile:
            funcs = symbols.functions(plat, elf)
            table = Path(tmp) / "functions.txt"
            table.write_text("".join(f"{f.address:x} {f.address + f.size:x}\n" for f in funcs))
            opts.append(f"syms={table}")
        if estimate_cycles:
            opts.append(f"cycles={plat.cycle_model}")
        # QEMU's option syntax escapes a comma inside a value by doubling it.
        cmd += ["-plugin", ",".join(o.replace(",", ",,") for o in [str(plugin.plugin_path()), *opts])]
        result = _execute(cmd, None, cwd, timeout)
        c = _read_counts(counts, funcs)
    return RunResult(result.returncode, result.stdout, result.stderr, result.timed_out, c.total, c.regions,
                     c.functions, c.cycles, c.region_cycles)


def _execute(cmd: list[str], stdin: bytes | None, cwd, timeout: float) -> RunResult:
    try:
        proc = subprocess.run(cmd, input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                              capture_output=True, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired as exc:  # subprocess.run has killed the child
        return RunResult(None, _text(exc.stdout), _text(exc.stderr), True)
    except OSError as exc:  # not executable here: built for another platform?
        raise TinyDistillError(f"cannot run {cmd[0]}: {exc.strerror}; was it built for this platform?") from None
    return RunResult(proc.returncode, _text(proc.stdout), _text(proc.stderr), False)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")
