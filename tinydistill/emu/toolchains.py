"""Find the external compilers and emulators; a missing one says what to install."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from ..errors import ToolchainMissing


@dataclass(frozen=True)
class Tool:
    command: str
    apt_package: str
    purpose: str


TOOLS: dict[str, Tool] = {
    t.command: t
    for t in (
        Tool("gcc", "gcc", "building the generated C on the host"),
        Tool("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi", "building for Cortex-M"),
        Tool("arm-none-eabi-size", "binutils-arm-none-eabi", "measuring Cortex-M flash and RAM"),
        Tool("qemu-system-arm", "qemu-system-arm", "running Cortex-M code in QEMU"),
        Tool(
            "riscv64-unknown-elf-gcc",
            "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf",
            "building for RV32 (ESP32-C3's ISA)",
        ),
        Tool("qemu-system-riscv32", "qemu-system-misc", "running RV32 code in QEMU"),
        Tool(
            "xtensa-lx106-elf-gcc",
            "gcc-xtensa-lx106 picolibc-xtensa-lx106-elf",
            "building for Xtensa lx106 (the ESP8266's core; the Xtensa compile check of every export)",
        ),
        Tool("xtensa-lx106-elf-size", "binutils-xtensa-lx106", "measuring Xtensa flash and RAM"),
        Tool("qemu-system-xtensa", "qemu-system-misc", "running Xtensa lx106 code in QEMU"),
    )
}


def which(command: str) -> str | None:
    """The path of `command`, or None when it is not installed."""
    return shutil.which(command)


def require(command: str) -> str:
    """The path of `command`; raise ToolchainMissing naming the apt package otherwise."""
    path = shutil.which(command)
    if path:
        return path
    tool = TOOLS.get(command)
    hint = f"apt-get install {tool.apt_package}" if tool else f"install {command}"
    purpose = f" (needed for {tool.purpose})" if tool else ""
    raise ToolchainMissing(f"'{command}' was not found on PATH{purpose}. Install it: {hint}, or run `make setup`.")
