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
def test_kernel_goldens_on_cortex_m4(tmp_path):
    """The same goldens through the DSP paths (SMLAD, SMMULR) in QEMU."""
    from tinydistill import emu

    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    kernels = firmware_dir() / "kernels"
    elf = emu.build("cortex-m4", [*sorted(kernels.glob("*.c")), Path(__file__).parent / "c" / DRIVER],
                    include_dirs=[kernels], out=tmp_path / "test_kernels.elf")
    result = emu.run("cortex-m4", elf, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result
