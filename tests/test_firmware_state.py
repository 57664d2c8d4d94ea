"""The budget's firmware-state bytes equal `sizeof` of the real structs, host (LP64) and Cortex-M4 (ILP32)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import ANCHOR_MODEL, need_tools
from tinydistill.deploy import firmware_state
from tinydistill.deploy.export import stream_config_header
from tinydistill.deploy.streaming import StreamSpec
from tinydistill.engine.codegen import generate
from tinydistill.render import render
from tinydistill.resources import firmware_dir

AD01 = ANCHOR_MODEL.parent / "mlperf" / "ad01_int8.tflite"

# (model, window, channels, outputs, smoothing, smooth_n): a classifier and an autoencoder
SETTINGS = [
    (ANCHOR_MODEL, 128, 3, 4, "none", 1),
    (AD01, 5, 128, 640, "average", 7),
]

COMPILERS = {
    "host": (["gcc"], firmware_state.LP64),
    "cortex-m4": (["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb"], firmware_state.ILP32),
}

# Fails to compile unless the sizes are the expected ones (no program to run on the target needed).
CHECK = """#include "app.h"
#include "td_serial_csv.h"
typedef char app_size_is[(sizeof(td_app_t) == {app}) ? 1 : -1];
typedef char serial_size_is[(sizeof(td_serial_csv_t) + TD_SERIAL_CSV_LINE_SIZE(TD_STREAM_CHANNELS) == {serial}) ? 1 : -1];
"""


def _project(src: Path, model: Path, window: int, channels: int, outputs: int, smoothing: str, n: int) -> None:
    generate(model, src, prefix="td_model")
    spec = StreamSpec(task="anomaly" if smoothing == "average" else "classify",
                      channels=tuple(f"c{i}" for i in range(channels)), window=window, hop=1, sample_rate_hz=50.0,
                      labels=("a", "b"), scale=(1.0,) * channels, offset=(0.0,) * channels, input_scale=0.1,
                      input_zero_point=0, output_scale=1 / 256, output_zero_point=-128, outputs=outputs,
                      smoothing=smoothing, smooth_n=n)
    (src / "td_stream_config.h").write_text(stream_config_header(spec, "run"))
    (src / "app.h").write_text(render("project/app.h.j2", banner="test"))


@pytest.mark.toolchain
@pytest.mark.parametrize("platform", sorted(COMPILERS))
@pytest.mark.parametrize("setting", SETTINGS, ids=["anchor-classify", "ad01-smooth7"])
def test_python_state_bytes_equal_sizeof_of_the_compiled_structs(tmp_path, platform, setting):
    compiler, abi = COMPILERS[platform]
    need_tools(compiler[0])
    model, window, channels, outputs, smoothing, n = setting
    src = tmp_path / "src"
    _project(src, model, window, channels, outputs, smoothing, n)
    assert f"#define TD_MODEL_OUTPUT_SIZE {outputs}" in (src / "model.h").read_text()
    app = firmware_state.app_state_bytes(window, channels, outputs, n, abi)
    serial = firmware_state.serial_csv_state_bytes(channels, abi)
    assert app + serial == firmware_state.firmware_state_bytes(window, channels, outputs, n, abi)
    (src / "check.c").write_text(CHECK.format(app=app, serial=serial))
    subprocess.run([*compiler, "-std=c99", "-Wall", "-Wextra", "-Werror", "-Wno-unused-local-typedefs",
                    "-I", str(src), "-I", str(firmware_dir() / "stream"), "-c", str(src / "check.c"),
                    "-o", str(tmp_path / "check.o")], check=True)


def test_the_anchor_classifier_state_by_hand():
    # two uint64 counters 16 + td_stream_t 68 + scratch 4x4 + vote labels 1x4 + ring 2x128x3 + history 4
    # + output 4 + line 128+5x4, rounded up to the counters' 8-byte alignment
    assert firmware_state.app_state_bytes(128, 3, 4) == 16 + 68 + 16 + 4 + 768 + 4 + 4 + 148 + 4
    # td_serial_csv_t (int, pointer, 3 ints) + a line of 25x3+16
    assert firmware_state.serial_csv_state_bytes(3) == 20 + 91
