"""Real sensors for `export --sensor NAME`: one registry entry per IMU part.

Each entry says which Arduino library reads the part (a PlatformIO `lib_deps` entry), which
boards carry it on board, and its native units. The run's channels are matched to the IMU's
quantities by name (acc_x / ax / accel_x → acceleration X, gyro_z / gz / wz → angular rate Z),
in the run's order; a run whose channels are not an IMU's is refused. The run records no units,
so the training units are an export option (--accel-units, --gyro-units), written in the
generated file and the README.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import TinyDistillError

SERIAL = "serial"  # the default: samples as CSV lines on the serial port (td_serial_csv)
ACCEL_UNITS = {"g": 1.0, "m/s2": 9.80665}  # from g
GYRO_UNITS = {"dps": 1.0, "rad/s": 0.017453292519943295}  # from degrees per second


@dataclass(frozen=True)
class Sensor:
    name: str
    part: str
    header: str  # the header the generated file includes
    lib_deps: tuple[str, ...]  # PlatformIO library ids (registry owner/name@version)
    boards: tuple[str, ...]  # PlatformIO boards that carry the part on board; () = any Arduino board (wired)
    wiring: str


SENSORS = {
    "lsm9ds1": Sensor("lsm9ds1", "LSM9DS1 (Arduino Nano 33 BLE / BLE Sense, rev1)", "Arduino_LSM9DS1.h",
                      ("arduino-libraries/Arduino_LSM9DS1@^1.1.1",), ("nano33ble",),
                      "on board (internal I2C); accelerometer and gyroscope at 119 Hz, ±4 g, ±2000 °/s"),
    "bmi270": Sensor("bmi270", "BMI270 (Arduino Nano 33 BLE Sense rev2)", "Arduino_BMI270_BMM150.h",
                     ("arduino-libraries/Arduino_BMI270_BMM150@^1.2.0",), ("nano33ble",),
                     "on board (internal I2C); accelerometer and gyroscope at 100 Hz, ±4 g, ±2000 °/s"),
    "mpu6050": Sensor("mpu6050", "MPU-6050 on I2C (address 0x68)", "Wire.h", (), (),
                      "VCC 3V3, GND, SDA to GPIO 21 and SCL to GPIO 22 on ESP32 boards (TD_I2C_SDA / TD_I2C_SCL "
                      "change them), AD0 low; ±8 g, ±1000 °/s, 44 Hz low-pass"),
}

_ACCEL = re.compile(r"^(?:acc|accel|acceleration|a|lin_acc|linacc)[_\-.]?([xyz])$", re.IGNORECASE)
_GYRO = re.compile(r"^(?:gyro|gyr|gyroscope|g|w|omega|rot|rotation)[_\-.]?([xyz])$", re.IGNORECASE)


@dataclass(frozen=True)
class Channel:
    name: str
    quantity: str  # "acc" or "gyro"
    axis: str  # "x", "y" or "z"
    unit: str
    factor: float  # from the library's native unit to the training unit


def choices() -> tuple[str, ...]:
    return (SERIAL, *SENSORS)


def get_sensor(name: str) -> Sensor | None:
    """The sensor entry (None for the serial default); an unknown name lists the valid ones."""
    if name == SERIAL:
        return None
    if name not in SENSORS:
        raise TinyDistillError(f"unknown sensor {name!r}; choose one of: {', '.join(choices())}")
    return SENSORS[name]


def check_board(sensor: Sensor, framework: str, boards: tuple[str, ...], target: str) -> None:
    """Refuse a sensor the target cannot read: the IMU files use the Arduino framework's libraries."""
    if framework != "arduino":
        raise TinyDistillError(f"--sensor {sensor.name} needs the arduino framework (its reader uses Arduino "
                               f"libraries); export with --framework arduino, or keep the serial sensor")
    if sensor.boards and not set(boards) & set(sensor.boards):
        raise TinyDistillError(f"the {sensor.part} is on board only on {', '.join(sensor.boards)}, not on target "
                               f"{target} ({', '.join(boards)}); use --sensor mpu6050 for a wired IMU")


def map_channels(channels: tuple[str, ...], accel_units: str = "g", gyro_units: str = "rad/s") -> list[Channel]:
    """The IMU quantity behind each of the run's channels, in the run's order; refuse other channels."""
    if accel_units not in ACCEL_UNITS or gyro_units not in GYRO_UNITS:
        raise TinyDistillError(f"units must be one of {', '.join(ACCEL_UNITS)} (acceleration) and "
                               f"{', '.join(GYRO_UNITS)} (angular rate)")
    mapped, others = [], []
    for name in channels:
        if m := _ACCEL.match(name):
            mapped.append(Channel(name, "acc", m.group(1).lower(), accel_units, ACCEL_UNITS[accel_units]))
        elif m := _GYRO.match(name):
            mapped.append(Channel(name, "gyro", m.group(1).lower(), gyro_units, GYRO_UNITS[gyro_units]))
        else:
            others.append(name)
    if others:
        raise TinyDistillError(f"the run's channels {', '.join(others)} are not an IMU's: --sensor reads "
                               "accelerometer and gyroscope axes named like acc_x, ax, gyro_z or gz; "
                               "keep the serial sensor (--sensor serial) and write src/sensor.c for yours")
    seen = [(c.quantity, c.axis) for c in mapped]
    if len(set(seen)) != len(seen):
        raise TinyDistillError(f"the run's channels {', '.join(channels)} name one IMU axis twice")
    return mapped
