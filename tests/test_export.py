"""`tinydistill export`: PlatformIO projects for every target, validated offline; re-export keeps the user's files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import need_tools
from tinydistill.deploy import platformio
from tinydistill.cli import cli
from tinydistill.errors import CheckFailed
from tinydistill.deploy.export import MAINS, USER_FILES, export_project, read_manifest
from tinydistill.deploy.targets import TARGETS, get_target

pytestmark = pytest.mark.slow  # the run fixture trains Keras models

LIB = "lib/tinydistill_model"
EXPECTED_TOOL_FILES = ["src/app.c", "src/app.h", "src/sensor.h", *(f"{LIB}/src/{name}" for name in (
                       "model.h", "model.c", "model_data.c", "td_stream_config.h", "td_stream.c", "td_stream.h",
                       "td_serial_csv.c", "td_port.h", "tinydistill_model.h")),
                       f"{LIB}/library.json", f"{LIB}/library.properties", f"{LIB}/CMakeLists.txt", "tinydistill.ini",
                       "README.md", "reference/student_int8.tflite", "reference/test_stream.csv", "tinydistill.json"]


@pytest.mark.parametrize("target,framework", [(t.name, f) for t in TARGETS.values() for f in t.frameworks])
def test_export_every_target_and_framework_is_a_valid_platformio_project(basic_motions_run, tmp_path, target,
                                                                         framework):
    out = tmp_path / "fw"
    report = export_project(basic_motions_run, target, out, framework=framework)
    for rel in [*EXPECTED_TOOL_FILES, *USER_FILES, f"src/{MAINS[framework]}"]:
        assert (out / rel).is_file(), rel
    assert set(report.created) == set(USER_FILES) and not report.kept
    # PlatformIO's own parser, offline; boards, platform and framework from the target registry
    tgt = get_target(target)
    assert platformio.validate(out, tgt, framework) == [e.name for e in platformio.environments(tgt)]
    assert "extra_configs = tinydistill.ini" in (out / "platformio.ini").read_text()
    # src/ holds only the app, the board main and the sensor hook; the model is a library
    assert sorted(p.name for p in (out / "src").iterdir()) == sorted(
        ["app.c", "app.h", "sensor.h", "sensor.c", MAINS[framework]] + (["CMakeLists.txt"] if framework == "espidf"
                                                                        else []))
    assert not (out / "data").exists()  # PlatformIO's filesystem image: `pio run -t uploadfs` would flash it
    assert {".pio/", ".tinydistill/"} <= set((out / ".gitignore").read_text().split())
    library = json.loads((out / LIB / "library.json").read_text())
    assert library["name"] == "tinydistill_model" and "-ffp-contract=off" in library["build"]["flags"]
    ini = (out / "tinydistill.ini").read_text()
    assert f"board = {tgt.pio_board}" in ini and "-ffp-contract=off" in ini
    other_mains = [m for f, m in MAINS.items() if f != framework]
    assert not any((out / "src" / m).exists() for m in other_mains)
    assert (out / "CMakeLists.txt").is_file() == (framework == "espidf")
    # td_stream_config.h carries the stream: channels in order, window, hop, rate, labels
    config = json.loads((basic_motions_run / "config.json").read_text())
    header = (out / LIB / "src" / "td_stream_config.h").read_text()
    names = ", ".join(f'"{c}"' for c in config["student_channels"])
    assert f"#define TD_STREAM_CHANNEL_NAMES {{ {names} }}" in header
    assert f"#define TD_STREAM_WINDOW {config['window']}" in header
    assert f"#define TD_STREAM_HOP {config['hop']}" in header
    assert all(f'"{label}"' in header for label in config["labels"])
    readme = (out / "README.md").read_text()
    assert "pio run -t upload" in readme and "pio device monitor" in readme and "t=<sample index>" in readme
    # the normalization, readably: the training statistics recovered from the firmware's scale and offset
    norm = json.loads((basic_motions_run / "normalization.json").read_text())
    rows = {line.split("|")[1].strip(" `"): line.split("|")[3:5] for line in readme.splitlines()
            if line.startswith("| `") and "training units" in line}
    assert list(rows) == norm["channels"]
    for name, mean, std in zip(norm["channels"], norm["mean"], norm["std"]):
        assert [float(v) for v in rows[name]] == pytest.approx([mean, std], rel=1e-4, abs=1e-6)


def test_reexport_regenerates_tool_files_and_keeps_the_users(basic_motions_run, tmp_path):
    out = tmp_path / "fw"
    export_project(basic_motions_run, "esp32", out, framework="arduino")
    first = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    # the user edits their files, adds one, and (wrongly) edits a tool file
    ini = (out / "platformio.ini").read_text()
    (out / "platformio.ini").write_text(ini.replace("extends = td_esp32\n",
                                                    "extends = td_esp32\nmonitor_port = /dev/ttyUSB0\n"))
    (out / "src" / "sensor.c").write_text("/* my IMU */\n" + (out / "src" / "sensor.c").read_text())
    (out / "lib" / "mine").mkdir()  # a library of the user's own beside the model's
    (out / "lib" / "mine" / "mine.c").write_text("int mine;\n")
    (out / "src" / "app.c").write_text("broken\n")
    user = {rel: (out / rel).read_bytes() for rel in USER_FILES}

    report = export_project(basic_motions_run, "esp32", out, framework="espidf")
    assert set(report.kept) == set(USER_FILES) and not report.created
    assert {rel: (out / rel).read_bytes() for rel in USER_FILES} == user
    assert (out / "lib" / "mine" / "mine.c").read_text() == "int mine;\n"
    assert (out / "src" / "app.c").read_bytes() == first["src/app.c"]
    # the arduino main is gone (a stale tool file), the ESP-IDF main and CMake files are there
    assert not (out / "src" / "main_arduino.cpp").exists()
    assert (out / "src" / "main_espidf.c").is_file() and (out / "CMakeLists.txt").is_file()
    assert read_manifest(out)["framework"] == "espidf"
    assert platformio.validate(out, get_target("esp32"), "espidf") == ["esp32"]
    assert "monitor_port" in (out / "platformio.ini").read_text()
    # deterministic: the same run and target export the same bytes
    again = tmp_path / "again"
    export_project(basic_motions_run, "esp32", again, framework="arduino")
    second = {p.relative_to(again).as_posix(): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert second == first


def test_unknown_target_or_framework_exits_2_listing_the_valid_ones(basic_motions_run, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["export", str(basic_motions_run), "--target", "esp8285", "--out", str(tmp_path / "a")])
    assert result.exit_code == 2
    assert "unknown target 'esp8285'" in result.output and "cortex-m4" in result.output
    result = runner.invoke(cli, ["export", str(basic_motions_run), "--target", "cortex-m33", "--framework", "arduino",
                                 "--out", str(tmp_path / "b")])
    assert result.exit_code == 2
    assert "no framework 'arduino'" in result.output and "stm32cube" in result.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_over_budget_is_refused_unless_forced(basic_motions_run, tmp_path):
    runner = CliRunner()
    args = ["export", str(basic_motions_run), "--target", "cortex-m4", "--out", str(tmp_path / "fw"), "--max-ram", "64"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "over the budget" in result.output and "--force" in result.output
    assert not (tmp_path / "fw").exists()
    result = runner.invoke(cli, [*args, "--force"])
    assert result.exit_code == 0, result.output
    assert "over budget" in result.output and (tmp_path / "fw" / "tinydistill.json").is_file()


def test_refuses_a_foreign_folder_and_leaves_no_half_written_project(basic_motions_run, tmp_path, monkeypatch):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["export", str(basic_motions_run), "--target", "esp32", "--out", str(foreign)])
    assert result.exit_code == 2 and "not a tinydistill project" in result.output
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]

    out = tmp_path / "fw"
    export_project(basic_motions_run, "cortex-m4", out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def reject(*args, **kwargs):
        raise CheckFailed("injected: PlatformIO rejects the project")

    monkeypatch.setattr("tinydistill.deploy.export.validate", reject)  # a failure after everything was generated
    with pytest.raises(CheckFailed):
        export_project(basic_motions_run, "cortex-m7", out, framework="stm32cube")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign", "fw"]  # no staging folder left behind


# Minimal declarations of the framework APIs the board mains use: no Arduino core, ESP-IDF or
# STM32Cube can be installed here, so the mains are syntax- and type-checked against these.
STUBS = {
    "Arduino.h": """#include <stdint.h>
struct SerialStub { void begin(unsigned long); int read(); unsigned long print(const char *);
                    unsigned long println(const char *); explicit operator bool() const; };
extern SerialStub Serial; unsigned long millis(void); unsigned long micros(void);""",
    "esp_timer.h": "#include <stdint.h>\nint64_t esp_timer_get_time(void);",
    "freertos/FreeRTOS.h": "",
    "freertos/task.h": "void vTaskDelay(unsigned int ticks);",
    "stm32_stub.h": """#include <stdint.h>
typedef struct { uint32_t Pin, Mode, Pull, Speed, Alternate; } GPIO_InitTypeDef;
typedef struct { uint32_t BaudRate, WordLength, StopBits, Parity, Mode, HwFlowCtl; } UART_InitTypeDef;
typedef struct { void *Instance; UART_InitTypeDef Init; } UART_HandleTypeDef;
typedef enum { HAL_OK = 0 } HAL_StatusTypeDef;
typedef struct { volatile uint32_t CTRL, LOAD, VAL; } SysTick_Type;
extern SysTick_Type *SysTick;
extern void *GPIOD, *GPIOG, *USART3, *LPUART1;
void HAL_Init(void); void HAL_IncTick(void); uint32_t HAL_GetTick(void);
void HAL_GPIO_Init(void *port, GPIO_InitTypeDef *init); HAL_StatusTypeDef HAL_UART_Init(UART_HandleTypeDef *u);
HAL_StatusTypeDef HAL_UART_Receive(UART_HandleTypeDef *u, uint8_t *data, uint16_t n, uint32_t timeout);
HAL_StatusTypeDef HAL_UART_Transmit(UART_HandleTypeDef *u, uint8_t *data, uint16_t n, uint32_t timeout);
void HAL_PWREx_EnableVddIO2(void);
#define GPIO_MODE_AF_PP 2u
#define GPIO_PULLUP 1u
#define GPIO_SPEED_FREQ_LOW 0u
#define GPIO_PIN_7 0x80u
#define GPIO_PIN_8 0x100u
#define GPIO_PIN_9 0x200u
#define GPIO_AF7_USART3 7u
#define GPIO_AF8_LPUART1 8u
#define UART_WORDLENGTH_8B 0u
#define UART_STOPBITS_1 0u
#define UART_PARITY_NONE 0u
#define UART_MODE_TX_RX 12u
#define UART_HWCONTROL_NONE 0u
#define __HAL_RCC_GPIOD_CLK_ENABLE() ((void)0)
#define __HAL_RCC_GPIOG_CLK_ENABLE() ((void)0)
#define __HAL_RCC_USART3_CLK_ENABLE() ((void)0)
#define __HAL_RCC_LPUART1_CLK_ENABLE() ((void)0)
#define __HAL_RCC_PWR_CLK_ENABLE() ((void)0)""",
}


@pytest.mark.parametrize("target,framework", [("esp32", "arduino"), ("esp32s3", "espidf"), ("cortex-m7", "stm32cube"),
                                              ("cortex-m33", "stm32cube")])
def test_board_mains_type_check_against_the_framework_apis(basic_motions_run, tmp_path, target, framework):
    need_tools("gcc")
    out = tmp_path / "fw"
    export_project(basic_motions_run, target, out, framework=framework)
    stubs = tmp_path / "stubs"
    for name, text in STUBS.items():
        (stubs / name).parent.mkdir(parents=True, exist_ok=True)
        (stubs / name).write_text(text + "\n")
    for hal in ("stm32h7xx_hal.h", "stm32l5xx_hal.h"):
        (stubs / hal).write_text('#include "stm32_stub.h"\n')
    main = out / "src" / MAINS[framework]
    compiler = ["g++", "-std=c++11"] if main.suffix == ".cpp" else ["gcc", "-std=c99"]
    subprocess.run([*compiler, "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-DTD_BAUD=115200",
                    "-I", str(stubs), "-I", str(out / "src"), "-I", str(out / LIB / "src"), str(main)], check=True)


def test_names_that_would_break_the_output_line_are_refused():
    from tinydistill.errors import TinyDistillError
    from tinydistill.deploy.export import stream_config_header
    from tinydistill.deploy.streaming import StreamSpec

    spec = StreamSpec(task="classify", channels=("ax",), window=4, hop=2, sample_rate_hz=50.0,
                      labels=("sitting down", "up"), scale=(1.0,), offset=(0.0,), input_scale=0.1,
                      input_zero_point=0, output_scale=1 / 256, output_zero_point=-128, outputs=2)
    with pytest.raises(TinyDistillError, match="'sitting down' cannot go into the firmware"):
        stream_config_header(spec, "run")


def test_export_to_a_relative_folder(basic_motions_run, tmp_path, monkeypatch):
    # PlatformIO's validation changes directory; a relative --out must still work (as in `make demo`).
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["export", str(basic_motions_run), "--target", "esp32", "--out", "fw/esp32"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fw" / "esp32" / "platformio.ini").is_file()
