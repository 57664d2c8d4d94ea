"""The target registry: the DESIGN.md facts, PlatformIO ids, cost models and a clear unknown-target error."""

import pytest

from tinydistill.deploy import targets
from tinydistill.errors import TinyDistillError


def test_all_design_targets_are_registered():
    assert targets.target_names() == ["esp32", "esp32s3", "esp32c3", "cortex-m0plus", "cortex-m4", "cortex-m7",
                                      "cortex-m33", "esp8266"]


def test_facts_of_two_boards():
    m4 = targets.get_target("cortex-m4")
    assert (m4.clock_hz, m4.sram_bytes, m4.flash_bytes) == (64_000_000, 256 * 1024, 1024 * 1024)
    assert (m4.pio_platform, m4.pio_board, m4.frameworks[0]) == ("nordicnrf52", "nano33ble", "arduino")
    assert (m4.qemu_machine, m4.emu_platform) == ("mps2-an386", "cortex-m4")
    esp = targets.get_target("esp32")
    assert (esp.pio_platform, esp.pio_board, esp.frameworks) == ("espressif32", "esp32dev", ("arduino", "espidf"))
    assert esp.qemu_machine is None and esp.emu_platform == "host"
    assert targets.get_target("esp32c3").emu_platform == "rv32"
    assert targets.get_target("cortex-m0plus").pio_platform == "raspberrypi"


def test_every_target_has_a_complete_labelled_cost_model():
    for t in targets.TARGETS.values():
        assert t.cost.source.startswith(("estimate", "measured: "))
        assert set(t.cost.ops) == set(targets.OP_KINDS)
        assert t.cost.cost("conv").cycles(1000, 0, 10) > t.cost.cost("reshape").cycles(0, 0, 10) == 0
        assert t.emu_platform in targets.EMU_PLATFORMS


def test_target_is_immutable():
    with pytest.raises(AttributeError):
        targets.get_target("esp32").clock_hz = 1


def test_unknown_target_lists_valid_names():
    with pytest.raises(TinyDistillError, match="unknown target 'stm32f1'.*esp32c3.*cortex-m0plus"):
        targets.get_target("stm32f1")


def test_measured_costs_replace_estimates_on_emulated_cores_only():
    # tinydistill/deploy/costs_measured.json comes from benchmarks/calibrate_costs.py (QEMU instruction counts).
    for name in ("cortex-m0plus", "cortex-m4", "cortex-m7", "cortex-m33", "esp32c3", "esp8266"):
        cost = targets.get_target(name).cost
        assert cost.source.startswith("measured: ") and "other op kinds: estimate" in cost.source
        assert cost.cost("conv").mac > 0
    for name in ("esp32", "esp32s3"):  # Xtensa LX6/LX7: no emulator here (the LX106 is another core)
        assert targets.get_target(name).cost.source.startswith("estimate")
    assert targets.CODE_SIZE.source.startswith("measured: ")
    # A slower core needs more instructions per MAC for the same kernels.
    assert targets.get_target("cortex-m0plus").cost.cost("conv").mac > targets.get_target("cortex-m4").cost.cost("conv").mac


def test_esp8266_is_the_emulated_lx106():
    esp = targets.get_target("esp8266")
    assert (esp.pio_platform, esp.pio_board, esp.frameworks) == ("espressif8266", "nodemcuv2", ("arduino",))
    assert (esp.clock_hz, esp.qemu_machine, esp.emu_platform) == (80_000_000, "sim", "xtensa-lx106")
    # No 32x32->64 multiply and no multiply-accumulate: more instructions per MAC than the Cortex-M4.
    assert esp.cost.cost("conv").mac > targets.get_target("cortex-m4").cost.cost("conv").mac
    assert "xtensa-lx106" in esp.cost.source and esp.stack_source.endswith("on xtensa-lx106")


@pytest.mark.parametrize("name", [n for n, t in targets.TARGETS.items() if t.emu_platform != "host"])
def test_dsp_flag_is_what_the_cores_compiler_builds(name):
    """`dsp` says which arena a target's build declares: it must be what td_dsp.h decides under the
    flags its emulated core is compiled with (gcc's own predefined macros, not a table)."""
    import subprocess

    from conftest import need_tools
    from tinydistill import emu
    from tinydistill.resources import firmware_dir

    target = targets.get_target(name)
    platform = emu.get(target.emu_platform)
    need_tools(platform.cc)
    macros = subprocess.run([platform.cc, *platform.cpu_flags, "-dM", "-E", "-include",
                             str(firmware_dir() / "kernels" / "td_dsp.h"), "-"], input="", capture_output=True,
                            text=True, check=True).stdout
    assert ("#define TD_USE_DSP 1" in macros) == target.dsp, name
    assert target.dsp == (target.arch in ("armv7e-m", "armv8-m.main"))
