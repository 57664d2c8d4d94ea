"""`export --sensor NAME`: IMU readers for the Nano 33 BLE (LSM9DS1, BMI270) and an MPU-6050 on ESP32 boards.

The Arduino core and the IMU libraries cannot be downloaded here. The generated files are
type-checked against minimal declarations of the calls they make (with g++ and, for the
Nano 33 BLE's core, arm-none-eabi-g++), and run on the host against small fakes of those
calls that return known readings, so that channel order, units and sample rate are checked
against hand-computed values.
"""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import need_tools
from test_export import STUBS
from tinydistill.cli import cli
from tinydistill.deploy import sensors
from tinydistill.deploy.export import export_project
from tinydistill.errors import TinyDistillError

pytestmark = pytest.mark.slow  # the run fixture trains Keras models

LIB_SRC = "lib/tinydistill_model/src"
ARDUINO = STUBS["Arduino.h"] + "\nvoid delay(unsigned long);\n"
IMU_CLASS = """class {cls} {{ public: int begin(); int readAcceleration(float& x, float& y, float& z);
  int readGyroscope(float& x, float& y, float& z); int accelerationAvailable(); int gyroscopeAvailable(); }};
extern {cls} IMU;"""
WIRE = """#include <stdint.h>
#include <stddef.h>
class TwoWire { public: bool begin(); bool begin(int sda, int scl); void setClock(uint32_t hz);
  void beginTransmission(uint8_t address); size_t write(uint8_t value); uint8_t endTransmission(bool stop = true);
  uint8_t requestFrom(uint8_t address, uint8_t n); int read(); };
extern TwoWire Wire;"""
LIBRARY_STUBS = {
    "Arduino_LSM9DS1.h": IMU_CLASS.format(cls="LSM9DS1Class"),
    "Arduino_BMI270_BMM150.h": IMU_CLASS.format(cls="BoschSensorClass"),
    "Wire.h": WIRE,
}

# Fakes with behaviour: a clock the test advances and an IMU whose readings it knows.
FAKES = {
    "imu": """
#include <stdio.h>
#include <stdint.h>
#include "{header}"
extern "C" {{
#include "sensor.h"
#include "td_port.h"
#include "td_stream_config.h"
}}
static uint32_t now_us;
extern "C" uint32_t td_port_micros(void) {{ return now_us; }}
extern "C" void td_port_write(const char *text) {{ fputs(text, stdout); }}
extern "C" int td_port_getc(void) {{ return TD_PORT_NONE; }}
{cls} IMU;
int {cls}::begin() {{ return 1; }}
int {cls}::accelerationAvailable() {{ return 1; }}
int {cls}::gyroscopeAvailable() {{ return 1; }}
int {cls}::readAcceleration(float& x, float& y, float& z) {{ x = 0.5f; y = -1.0f; z = 0.25f; return 1; }}
int {cls}::readGyroscope(float& x, float& y, float& z) {{ x = 90.0f; y = -180.0f; z = 45.0f; return 1; }}
""",
    "mpu6050": """
#include <stdio.h>
#include <stdint.h>
#include "Wire.h"
extern "C" {{
#include "sensor.h"
#include "td_port.h"
#include "td_stream_config.h"
}}
static uint32_t now_us;
extern "C" uint32_t td_port_micros(void) {{ return now_us; }}
extern "C" void td_port_write(const char *text) {{ fputs(text, stdout); }}
extern "C" int td_port_getc(void) {{ return TD_PORT_NONE; }}
TwoWire Wire;
/* registers 0x3B..0x48 at +-8 g (4096 LSB/g) and +-1000 deg/s (32.8 LSB/(deg/s)):
   acc 0.5, -1, 0.25 g; temperature; gyro 90, -180, 45 deg/s */
static const int16_t regs[7] = {{2048, -4096, 1024, 0, 2952, -5904, 1476}};
static int next_byte = -1, reg = 0, writes = 0;
bool TwoWire::begin() {{ return true; }}
bool TwoWire::begin(int, int) {{ return true; }}
void TwoWire::setClock(uint32_t) {{}}
void TwoWire::beginTransmission(uint8_t address) {{ writes = 0; if (address != 0x68) reg = -1; }}
size_t TwoWire::write(uint8_t value) {{ if (writes++ == 0 && reg >= 0) reg = value; return 1; }}
uint8_t TwoWire::endTransmission(bool) {{ return reg < 0 ? 2 : 0; }}
uint8_t TwoWire::requestFrom(uint8_t, uint8_t n) {{ next_byte = (reg - 0x3B); return n; }}
int TwoWire::read() {{
    const int i = next_byte++;
    const uint16_t v = (uint16_t)regs[i / 2];
    return (i % 2 == 0) ? (v >> 8) : (v & 0xff);
}}
""",
}
DRIVER = """
int main(void)
{
    float sample[TD_STREAM_CHANNELS];
    int i, got = 0, polls;
    if (td_sensor_init() != 0) return 3;
    /* one sample per period: none before it is due, exactly one when it is */
    for (polls = 0; polls < 100; ++polls) {
        if (td_sensor_poll(sample) == TD_SENSOR_SAMPLE) got++;
    }
    if (got != 1) { printf("first period: %d samples\\n", got); return 4; }
    now_us += PERIOD_US - 1u;
    if (td_sensor_poll(sample) != TD_SENSOR_NONE) return 5;
    now_us += 1u;
    if (td_sensor_poll(sample) != TD_SENSOR_SAMPLE) return 6;
    for (i = 0; i < TD_STREAM_CHANNELS; ++i) printf("%.6f\\n", (double)sample[i]);
    return 0;
}
"""


def _stub_dir(tmp_path: Path) -> Path:
    stubs = tmp_path / "stubs"
    stubs.mkdir(exist_ok=True)
    (stubs / "Arduino.h").write_text(ARDUINO + "\n")
    for name, text in LIBRARY_STUBS.items():
        (stubs / name).write_text(text + "\n")
    return stubs


def _expected(channels, accel_units: str, gyro_units: str) -> list[float]:
    """Hand-computed readings of the fakes, in the run's channel order and the training units."""
    acc = {"x": 0.5, "y": -1.0, "z": 0.25}
    gyro = {"x": 90.0, "y": -180.0, "z": 45.0}
    out = []
    for name in channels:
        axis = name[-1]
        if name.startswith("acc"):
            out.append(acc[axis] * (9.80665 if accel_units == "m/s2" else 1.0))
        else:
            out.append(gyro[axis] * (math.pi / 180 if gyro_units == "rad/s" else 1.0))
    return out


@pytest.mark.parametrize("target,sensor,accel_units,gyro_units", [
    ("cortex-m4", "lsm9ds1", "g", "rad/s"),
    ("cortex-m4", "bmi270", "m/s2", "dps"),
    ("esp32", "mpu6050", "g", "rad/s"),
    ("esp32s3", "mpu6050", "m/s2", "rad/s"),
])
def test_imu_reader_type_checks_and_reads_channels_in_training_order_units_and_rate(
        basic_motions_run, tmp_path, monkeypatch, target, sensor, accel_units, gyro_units):
    need_tools("g++")
    out = tmp_path / "fw"
    report = export_project(basic_motions_run, target, out, sensor=sensor, accel_units=accel_units,
                            gyro_units=gyro_units)
    assert report.sensor == sensor and "src/sensor.cpp" in report.created
    assert not (out / "src" / "sensor.c").exists()
    entry = sensors.SENSORS[sensor]
    from platformio.project.config import ProjectConfig

    monkeypatch.chdir(out)  # PlatformIO reads extra_configs relative to the working directory
    pio = ProjectConfig(str(out / "platformio.ini"))
    assert pio.get(f"env:{report.envs[0]}", "lib_deps") == list(entry.lib_deps)
    stubs = _stub_dir(tmp_path)
    includes = ["-I", str(stubs), "-I", str(out / "src"), "-I", str(out / LIB_SRC)]
    reader = out / "src" / "sensor.cpp"
    main = out / "src" / "main_arduino.cpp"
    defines = ["-DTD_BAUD=115200"] + (["-DARDUINO_ARCH_ESP32"] if target.startswith("esp32") else [])
    strict = ["-Wall", "-Wextra", "-Werror"]
    subprocess.run(["g++", "-std=c++11", "-fsyntax-only", *strict, *defines, *includes, str(reader), str(main)],
                   check=True)
    if target == "cortex-m4":  # the Nano 33 BLE's core and its compiler
        need_tools("arm-none-eabi-g++")
        subprocess.run(["arm-none-eabi-g++", "-std=gnu++14", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                        "-mfpu=fpv4-sp-d16", "-fsyntax-only", *strict, *defines, *includes, str(reader), str(main)],
                       check=True)

    # run the reader on the host against fakes with known readings
    config = json.loads((basic_motions_run / "config.json").read_text())
    channels, rate = config["student_channels"], float(config["sample_rate_hz"])
    fake = FAKES["mpu6050" if sensor == "mpu6050" else "imu"].format(
        header=entry.header, cls="LSM9DS1Class" if sensor == "lsm9ds1" else "BoschSensorClass")
    (tmp_path / "fake.cpp").write_text(fake + DRIVER.replace("PERIOD_US", f"{round(1e6 / rate)}u"))
    exe = tmp_path / "reader"
    subprocess.run(["g++", "-std=c++11", *strict, "-Wno-unused-parameter", *includes, "-o", str(exe),
                    str(tmp_path / "fake.cpp"), str(reader)], check=True)
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stdout + run.stderr
    got = [float(v) for v in run.stdout.split()]
    assert got == pytest.approx(_expected(channels, accel_units, gyro_units), rel=1e-5, abs=1e-6)
    readme = " ".join((out / "README.md").read_text().split())
    assert entry.part in readme and "type-checked against minimal declarations" in readme
    header = (out / LIB_SRC / "td_stream_config.h").read_text()
    assert f"acc_x            {accel_units}" in header and "mean" in header and "std" in header


def test_sensor_refusals_exit_2(basic_motions_run, forecast_run, tmp_path):
    runner = CliRunner()
    cases = [
        (basic_motions_run, ["--target", "esp32", "--sensor", "lsm9ds1"], "on board only on nano33ble"),
        (basic_motions_run, ["--target", "esp32", "--framework", "espidf", "--sensor", "mpu6050"],
         "needs the arduino framework"),
        (forecast_run, ["--target", "esp32", "--sensor", "mpu6050"], "are not an IMU's"),
    ]
    for i, (run, args, message) in enumerate(cases):
        out = tmp_path / f"fw{i}"
        result = runner.invoke(cli, ["export", str(run), "--out", str(out), *args])
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
        assert not out.exists()
    with pytest.raises(TinyDistillError, match="name one IMU axis twice"):
        sensors.map_channels(("acc_x", "ax"))
    assert [c.quantity + c.axis for c in sensors.map_channels(("gz", "ax", "wy"))] == ["gyroz", "accx", "gyroy"]


def test_reexport_with_a_sensor_never_writes_over_the_users_sensor_file(basic_motions_run, tmp_path):
    out = tmp_path / "fw"
    export_project(basic_motions_run, "cortex-m4", out)
    mine = "/* my own sensor */\n" + (out / "src" / "sensor.c").read_text()
    (out / "src" / "sensor.c").write_text(mine)
    report = export_project(basic_motions_run, "cortex-m4", out, sensor="lsm9ds1")
    assert (out / "src" / "sensor.c").read_text() == mine and not (out / "src" / "sensor.cpp").exists()
    alt = out / "sensors" / "sensor_lsm9ds1.cpp"
    assert alt.is_file() and "IMU.readAcceleration" in alt.read_text()
    assert any("mv sensors/sensor_lsm9ds1.cpp src/sensor.cpp" in note for note in report.notes)
    # the sensor choice is remembered by the next export
    again = export_project(basic_motions_run, "cortex-m4", out)
    assert again.sensor == "lsm9ds1" and "Arduino_LSM9DS1" in (out / "tinydistill.ini").read_text()
