"""The exported project as a user extends it: overrides that win, projects exported before, the Arduino IDE layout.

PlatformIO's own ProjectConfig (offline) is the oracle for what a build would use.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import need_tools
from test_export import STUBS
from tinydistill.cli import cli
from tinydistill.deploy import platformio
from tinydistill.deploy.emulate import emulate
from tinydistill.deploy.export import export_project
from tinydistill.deploy.targets import TARGETS, get_target

pytestmark = pytest.mark.slow  # the run fixture trains Keras models

LIB = "lib/tinydistill_model"


def _pio(project: Path, monkeypatch):
    from platformio.project.config import ProjectConfig

    monkeypatch.chdir(project)  # PlatformIO reads extra_configs relative to the working directory
    return ProjectConfig(str(project / "platformio.ini"))


@pytest.mark.parametrize("target,framework", [(t.name, f) for t in TARGETS.values() for f in t.frameworks])
def test_user_overrides_in_platformio_ini_win(basic_motions_run, tmp_path, monkeypatch, target, framework):
    out = tmp_path / "fw"
    export_project(basic_motions_run, target, out, framework=framework)
    env = platformio.environments(get_target(target))[0].name
    ini = out / "platformio.ini"
    ini.write_text(ini.read_text().replace(
        f"extends = td_{env}\n",
        f"extends = td_{env}\nboard = my_custom_board\nmonitor_speed = 9600\n"
        f"build_flags = ${{td_{env}.build_flags}} -DMY_FLAG=1\n"))
    config = _pio(out, monkeypatch)
    config.validate(silent=True)
    section = f"env:{env}"
    assert config.get(section, "board") == "my_custom_board"
    assert config.get(section, "monitor_speed") == 9600
    flags = " ".join(config.get(section, "build_flags"))
    assert "-DMY_FLAG=1" in flags and "-ffp-contract=off" in flags
    assert config.get(section, "platform") == get_target(target).pio_platform  # what was not overridden
    assert config.get(section, "framework") == [framework]
    # re-export keeps the user's file, still validates, and the overrides still win
    text = ini.read_text()
    report = export_project(basic_motions_run, target, out, framework=framework)
    assert ini.read_text() == text and report.validated and not report.notes
    assert _pio(out, monkeypatch).get(section, "board") == "my_custom_board"


OLD_PLATFORMIO_INI = """; platformio.ini: YOURS. `tinydistill export` created it once and never rewrites it.
[platformio]
extra_configs = tinydistill.ini

[env:esp32]
monitor_port = /dev/ttyUSB0
"""
OLD_SENSOR_C = """/* sensor.c: YOURS. tinydistill created it once and never rewrites it on re-export. */
#include "sensor.h"

#include "model.h"
#include "td_port.h"
#include "td_serial_csv.h"

int td_sensor_init(void)
{
    return 0;
}

int td_sensor_poll(float *sample)
{
    return td_serial_csv_poll(sample, TD_STREAM_CHANNELS);
}
"""


def _make_old(out: Path) -> None:
    """Turn a fresh export into one of an older tinydistill: all in src/, data/, no extends, the old sensor API."""
    for path in (out / LIB / "src").iterdir():
        shutil.move(str(path), out / "src" / path.name)
    shutil.rmtree(out / "lib")
    shutil.move(str(out / "reference"), out / "data")
    (out / ".gitignore").unlink()
    manifest = json.loads((out / "tinydistill.json").read_text())
    for key in ("layout", "app_dir", "lib_dir", "sensor"):
        del manifest[key]
    manifest["model"], manifest["stream"] = "data/student_int8.tflite", "data/test_stream.csv"
    manifest["tool_files"] = sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                                    if p.is_file() and p.name not in ("platformio.ini", "sensor.c")
                                    and ".tinydistill" not in p.parts)
    manifest["user_files"] = ["platformio.ini", "src/sensor.c"]
    (out / "tinydistill.json").write_text(json.dumps(manifest))
    (out / "platformio.ini").write_text(OLD_PLATFORMIO_INI)
    (out / "src" / "sensor.c").write_text(OLD_SENSOR_C)


def test_an_older_project_is_reexported_without_touching_the_users_files(basic_motions_run, tmp_path, monkeypatch):
    need_tools("gcc")
    out = tmp_path / "fw"
    export_project(basic_motions_run, "esp32", out)
    _make_old(out)
    result = CliRunner().invoke(cli, ["export", str(basic_motions_run), "--target", "esp32", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "platformio.ini").read_text() == OLD_PLATFORMIO_INI
    assert (out / "src" / "sensor.c").read_text() == OLD_SENSOR_C
    # the old tool files are gone (no second model in src/), the empty data/ too
    assert sorted(p.name for p in (out / "src").iterdir()) == ["app.c", "app.h", "main_arduino.cpp", "sensor.c",
                                                               "sensor.h"]
    assert not (out / "data").exists() and (out / LIB / "src" / "model.c").is_file()
    # the exact lines to change are printed ...
    output = " ".join(result.output.split())
    lines = ["in [env:esp32] add the line `extends = td_esp32`",
             "src/sensor.c:15: replace `return td_serial_csv_poll(sample, TD_STREAM_CHANNELS);` by "
             "`return td_serial_csv_poll(&csv, sample);`",
             "`static char line[TD_SERIAL_CSV_LINE_SIZE(TD_STREAM_CHANNELS)];` and `static td_serial_csv_t csv;`",
             "src/sensor.c:10: in td_sensor_init() replace `return 0;` by "
             "`return td_serial_csv_init(&csv, line, (int)sizeof line, TD_STREAM_CHANNELS);`",
             'add the line `#include "td_stream_config.h"`']
    for line in lines:
        assert line in output, line
    # ... meanwhile the project still builds: tinydistill.ini declares the environment the old file lacks
    config = _pio(out, monkeypatch)
    assert config.envs() == ["esp32"] and config.get("env:esp32", "board") == "esp32dev"
    assert config.get("env:esp32", "monitor_port") == "/dev/ttyUSB0"
    report = emulate(out, on="host")
    assert report.ok and report.expected > 0

    # the old sensor.c does not compile against the new runtime; with the printed changes it does
    check = ["gcc", "-std=c99", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-I", str(out / "src"),
             "-I", str(out / LIB / "src"), str(out / "src" / "sensor.c")]
    assert subprocess.run(check, capture_output=True).returncode != 0
    fixed = (OLD_SENSOR_C
             .replace("return td_serial_csv_poll(sample, TD_STREAM_CHANNELS);", "return td_serial_csv_poll(&csv, sample);")
             .replace('#include "td_serial_csv.h"\n', '#include "td_serial_csv.h"\n#include "td_stream_config.h"\n')
             .replace("int td_sensor_init(void)", "static char line[TD_SERIAL_CSV_LINE_SIZE(TD_STREAM_CHANNELS)];\n"
                      "static td_serial_csv_t csv;\n\nint td_sensor_init(void)")
             .replace("    return 0;", "    return td_serial_csv_init(&csv, line, (int)sizeof line, TD_STREAM_CHANNELS);"))
    (out / "src" / "sensor.c").write_text(fixed)
    subprocess.run(check, check=True)
    # with the printed line in platformio.ini, the next export drops its stand-in environment and the user's wins
    ini = OLD_PLATFORMIO_INI.replace("[env:esp32]\n", "[env:esp32]\nextends = td_esp32\nboard = esp32-s3-devkitc-1\n")
    (out / "platformio.ini").write_text(ini)
    report = export_project(basic_motions_run, "esp32", out)
    assert not report.notes and "[env:esp32]" not in (out / "tinydistill.ini").read_text()
    assert _pio(out, monkeypatch).get("env:esp32", "board") == "esp32-s3-devkitc-1"


def test_arduino_ide_sketch_layout(basic_motions_run, tmp_path):
    need_tools("g++", "gcc")
    out = tmp_path / "sketch"
    result = CliRunner().invoke(cli, ["export", str(basic_motions_run), "--target", "cortex-m4", "--layout", "sketch",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    sketch = out / "tinydistill_app"
    assert sorted(p.name for p in sketch.iterdir()) == ["app.c", "app.h", "sensor.c", "sensor.h",
                                                        "tinydistill_app.ino"]
    lib = out / "libraries" / "tinydistill_model"
    properties = (lib / "library.properties").read_text()
    assert "name=tinydistill_model" in properties and "includes=tinydistill_model.h" in properties
    assert (lib / "src" / "model.c").is_file() and not (out / "platformio.ini").exists()
    assert not list(out.rglob("main_arduino.cpp"))  # one setup()/loop() only
    # the .ino type-checks as C++ against the Arduino declarations, with the library on the include path
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "Arduino.h").write_text(STUBS["Arduino.h"] + "\n")
    subprocess.run(["g++", "-std=c++11", "-x", "c++", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", "-DTD_BAUD=115200",
                    "-I", str(stubs), "-I", str(sketch), "-I", str(lib / "src"), str(sketch / "tinydistill_app.ino")],
                   check=True)
    report = emulate(out, on="host")
    assert report.ok and report.expected > 0
    result = CliRunner().invoke(cli, ["export", str(basic_motions_run), "--target", "esp32", "--framework", "espidf",
                                      "--layout", "sketch", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "needs --framework arduino" in result.output
