"""tinydistill.emu: build and run C on the host, Cortex-M (QEMU mps2), rv32 (QEMU virt) and Xtensa lx106 (QEMU sim),
with semihosting, fault exits, timeouts, exact instruction counts and sizes."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from conftest import need_tools
from tinydistill import emu
from tinydistill.errors import TinyDistillError, ToolchainMissing

C = Path(__file__).resolve().parent / "c"
QEMU_PLATFORMS = [p for p in emu.PLATFORMS.values() if p.emulated]


def _need(plat: emu.Platform) -> None:
    need_tools(plat.cc, *([plat.qemu] if plat.qemu else []))


@pytest.fixture(scope="module")
def crash_program(tmp_path_factory):
    """crash.c built once per platform for the tests below."""
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            _need(emu.PLATFORMS[name])
            built[name] = emu.build(name, [C / "crash.c"], out=tmp_path_factory.mktemp(name) / "crash.elf")
        return built[name]

    return get


@pytest.mark.parametrize("name", list(emu.PLATFORMS))
def test_hello_args_file_and_exit_code(name, tmp_path):
    plat = emu.PLATFORMS[name]
    _need(plat)
    (tmp_path / "data.txt").write_text("semihosted,bytes")
    elf = emu.build(plat, [C / "hello.c"], out=tmp_path / "hello.elf", defines=[f'TD_PLATFORM_NAME="{name}"'])
    result = emu.run(plat, elf, args=["a,b", "data.txt"], cwd=tmp_path, timeout=30)
    assert not result.timed_out
    assert result.returncode == 3 + 3, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"hello from {name}",
        "arg 1: a,b",
        "arg 2: data.txt",
        "file: 16 bytes: semihosted,bytes",
    ]
    # No arguments at all: argc is 1 on every platform.
    assert emu.run(plat, elf, cwd=tmp_path).returncode == 4


@pytest.mark.parametrize("name", ["cortex-m0plus", "cortex-m4", "cortex-m33", "rv32", "xtensa-lx106"])
@pytest.mark.parametrize("how", ["null", "undef"])
def test_crash_exits_non_zero_within_seconds(name, how, crash_program):
    plat = emu.PLATFORMS[name]
    elf = crash_program(name)
    start = time.monotonic()
    result = emu.run(plat, elf, args=[how], timeout=30)
    assert time.monotonic() - start < 10
    assert not result.timed_out
    assert result.returncode == emu.FAULT_EXIT_CODE
    assert result.crashed
    assert result.stdout.startswith(f"about to {how}\n")
    assert "td_fault: " in result.stdout
    assert "crashed (td_fault: " in result.describe()


@pytest.mark.parametrize("name", ["cortex-m0plus", "cortex-m4", "rv32", "xtensa-lx106"])
def test_stack_overflow_and_exit(name, crash_program):
    plat = emu.PLATFORMS[name]
    elf = crash_program(name)
    overflow = emu.run(plat, elf, args=["overflow"], timeout=30)
    assert overflow.returncode == emu.FAULT_EXIT_CODE
    assert "td_fault: stack overflow" in overflow.stdout
    # exit() from inside the program: its code comes through and stdio is flushed.
    leaving = emu.run(plat, elf, args=["exit"], timeout=30)
    assert (leaving.returncode, leaving.stdout) == (5, "about to exit\nleaving")


@pytest.mark.parametrize("name", ["host", "cortex-m4"])
def test_timeout_kills_the_run(name, crash_program):
    plat = emu.PLATFORMS[name]
    elf = crash_program(name)
    start = time.monotonic()
    result = emu.run(plat, elf, args=["loop"], timeout=1.5)
    assert time.monotonic() - start < 10
    assert result.timed_out and result.returncode is None and not result.ok
    assert result.describe() == "timed out (killed)"


@pytest.mark.parametrize("name", ["cortex-m0plus", "cortex-m4", "cortex-m7", "cortex-m33", "rv32", "xtensa-lx106"])
def test_instruction_counts_are_exact_and_deterministic(name, tmp_path):
    plat = emu.PLATFORMS[name]
    _need(plat)
    elf = emu.build(plat, [C / "counting.c"], out=tmp_path / "count.elf",
                    defines=["REPEAT=3", "STACK_PROBE_BYTES=2000"])
    small = emu.run(plat, elf, args=["1000"], count_instructions=True)
    big = emu.run(plat, elf, args=["3000"], count_instructions=True)
    assert small.ok and big.ok, small.stdout + big.stdout
    assert len(small.regions) == len(big.regions) == 3
    # Two instructions per iteration, plus the calls into and out of the markers.
    for count in small.regions:
        assert 2 * 1000 <= count <= 2 * 1000 + 16
    assert [b - s for s, b in zip(small.regions, big.regions)] == [2 * 2000] * 3
    again = emu.run(plat, elf, args=["1000"], count_instructions=True)
    assert (again.instructions, again.regions) == (small.instructions, small.regions)
    assert small.instructions > sum(small.regions)
    # The stack high-water mark covers the probe's buffer below main's frame.
    line = small.stdout.splitlines()[-1]
    before, after, reset = (int(part.split("=")[1]) for part in line.split()[1:4])
    assert 0 < before < after < emu.STACK_BYTES
    assert after >= 2000 + 16
    assert 0 < reset <= before  # td_stack_reset() forgets the probe's depth


def test_counts_agree_with_the_rv32_minstret_counter(tmp_path):
    plat = emu.PLATFORMS["rv32"]
    _need(plat)
    elf = emu.build(plat, [C / "instret.c"], out=tmp_path / "instret.elf")
    gaps = []
    for n in (1000, 12345):
        result = emu.run(plat, elf, args=[str(n)], count_instructions=True)
        assert result.ok
        minstret = int(result.stdout.split()[1])
        (region,) = result.regions
        gaps.append(minstret - region)
    # minstret also sees the call into td_bench_begin, td_bench_end's return and the
    # second csrr: a constant of a few instructions, whatever the region's length.
    assert gaps[0] == gaps[1] and 0 <= gaps[0] <= 4


def test_profile_counts_instructions_per_function(tmp_path):
    plat = emu.PLATFORMS["cortex-m4"]
    _need(plat)
    elf = emu.build(plat, [C / "counting.c"], out=tmp_path / "count.elf",
                    defines=["REPEAT=1", "STACK_PROBE_BYTES=64"])
    result = emu.run(plat, elf, args=["500"], profile=True)
    assert result.ok
    assert 1000 <= result.functions["spin"] <= 1010
    assert sum(result.functions.values()) <= result.instructions


def test_host_build_with_sanitizers(tmp_path):
    need_tools("gcc")
    elf = emu.build("host", [C / "hello.c"], out=tmp_path / "hello", defines=['TD_PLATFORM_NAME="asan"'],
                    extra_cflags=["-fsanitize=address,undefined", "-fno-sanitize-recover=all"])
    (tmp_path / "f.txt").write_text("abc")
    result = emu.run("host", elf, args=["f.txt"], cwd=tmp_path)
    assert result.returncode == 5 and result.stdout.endswith("file: 3 bytes: abc\n"), result.stderr


def test_host_runs_have_no_counts_but_take_stdin(tmp_path):
    need_tools("gcc")
    src = tmp_path / "echo.c"
    src.write_text('#include <stdio.h>\nint main(void) { int c, n = 0; while ((c = getchar()) != EOF) n++;'
                   ' printf("%d\\n", n); return 0; }\n')
    elf = emu.build("host", [src], out=tmp_path / "echo")
    result = emu.run("host", elf, stdin=b"12345", count_instructions=True)
    assert result.ok and result.stdout == "5\n"
    assert result.instructions is None and result.regions == []


def test_sizes(tmp_path):
    plat = emu.PLATFORMS["cortex-m4"]
    _need(plat)
    src = tmp_path / "table.c"
    src.write_text('#include <stdint.h>\n#include <stdio.h>\nconst int8_t table[1000] = {1, 2, 3};\n'
                   'int32_t counter = 5;\nint8_t scratch[300];\n'
                   'int main(int argc, char **argv) { (void)argv; scratch[argc] = table[argc]; counter++;\n'
                   ' printf("%d\\n", scratch[1] + (int)counter); return 0; }\n')
    elf = emu.build(plat, [src], out=tmp_path / "table.elf")
    per_object = emu.object_sizes(elf)
    assert 1000 <= per_object["table.o"].rodata <= 1008  # the table and a format string
    assert per_object["table.o"].data == 4
    assert per_object["table.o"].bss == 300
    assert per_object["table.o"].text > 0
    sections = {s: (n, obj) for s, n, obj in emu.flash_sections(elf)}
    assert sections[".rodata.table"] == (1000, "table.o")  # one section per object (-fdata-sections)
    assert sections[".text.startup.main"][1] == "table.o" and not any(s.startswith(".bss") for s in sections)
    total = emu.size(plat, elf)
    assert total.rodata >= 1000 and total.bss >= 300
    assert total.flash == total.text + total.rodata + total.data
    assert total.ram == total.data + total.bss + emu.STACK_BYTES
    rv = emu.PLATFORMS["rv32"]
    need_tools(rv.cc)
    rv_total = emu.size(rv, emu.build(rv, [src], out=tmp_path / "table_rv.elf", stack_bytes=4096))
    assert rv_total.rodata >= 1000  # picolibc's script merges .rodata into .text: taken from the map
    assert rv_total.stack == 4096
    with pytest.raises(TinyDistillError, match="stack_bytes"):
        emu.build(rv, [src], out=tmp_path / "x.elf", stack_bytes=100)


def test_errors_name_the_problem(tmp_path):
    need_tools("gcc")
    bad = tmp_path / "bad.c"
    bad.write_text("int main(void) { int unused; return 0; }\n")
    with pytest.raises(TinyDistillError, match="unused"):
        emu.build("host", [bad], out=tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    missing = dataclasses.replace(emu.PLATFORMS["cortex-m4"], cc="td-no-such-gcc")
    with pytest.raises(ToolchainMissing, match="td-no-such-gcc"):
        emu.build(missing, [bad], out=tmp_path / "x.elf")
    with pytest.raises(TinyDistillError, match="unknown platform 'esp32'"):
        emu.build("esp32", [bad], out=tmp_path / "x.elf")
    good = emu.build("host", [C / "hello.c"], out=tmp_path / "hello", defines=['TD_PLATFORM_NAME="host"'])
    need_tools("qemu-system-arm")
    with pytest.raises(TinyDistillError, match="whitespace"):
        emu.run("cortex-m4", good, args=["two words"])
    with pytest.raises(TinyDistillError, match="stdin"):
        emu.run("cortex-m4", good, stdin=b"x")
    with pytest.raises(TinyDistillError, match="was it built for this platform"):
        emu.run("host", C / "hello.c")
