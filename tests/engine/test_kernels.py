"""Kernel unit tests: a C driver with hand-computed goldens, built strict and under sanitizers."""

import subprocess
from pathlib import Path

import pytest
from conftest import need_tools

from tinydistill.resources import firmware_dir

DRIVER = "test_kernels.c"


@pytest.mark.parametrize("flags", [("-O2",), ("-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all")],
                         ids=["O2", "sanitizers"])
def test_kernel_goldens(tmp_path, flags):
    need_tools("gcc")
    kernels = firmware_dir() / "kernels"
    driver = Path(__file__).parent / "c" / DRIVER
    exe = tmp_path / "test_kernels"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", *flags, f"-I{kernels}",
                    *sorted(str(p) for p in kernels.glob("*.c")), str(driver), "-o", str(exe)], check=True)
    result = subprocess.run([str(exe)], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "ok"


@pytest.mark.toolchain
@pytest.mark.parametrize("platform", ["cortex-m4", "cortex-m0plus"])
def test_kernel_goldens_in_qemu(tmp_path, platform):
    """The same goldens through the DSP paths (SMLAD, SMMULR) on M4 and the ARMv6-M paths on M0+."""
    from tinydistill import emu

    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    kernels = firmware_dir() / "kernels"
    elf = emu.build(platform, [*sorted(kernels.glob("*.c")), Path(__file__).parent / "c" / DRIVER],
                    include_dirs=[kernels], out=tmp_path / "test_kernels.elf")
    result = emu.run(platform, elf, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result
