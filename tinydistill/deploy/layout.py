"""Where an exported project keeps what: the PlatformIO layout and the Arduino IDE sketch layout.

PlatformIO (default):                      Arduino IDE sketch (`export --layout sketch`):
  platformio.ini       yours                 tinydistill_app/tinydistill_app.ino  tool (board main)
  tinydistill.ini      tool                  tinydistill_app/app.* sensor.h       tool
  src/app.* sensor.h main_*  tool            tinydistill_app/sensor.c(pp)         yours
  src/sensor.c(pp)     yours                 libraries/tinydistill_model/         tool (the library)
  lib/tinydistill_model/   tool (the library: model, runtime, stream config; library.json,
                           library.properties, CMakeLists.txt)
  reference/           tool (the int8 model and the recorded test stream, for emulate and hil)
  README.md tinydistill.json  tool;  .gitignore  yours;  .tinydistill/  tool scratch (lock, journal, builds)
The manifest records the layout's folders, so `emulate` and `hil` need only the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LIB_NAME = "tinydistill_model"
SKETCH_NAME = "tinydistill_app"
REFERENCE_DIR = "reference"
MODEL_FILE = f"{REFERENCE_DIR}/student_int8.tflite"
STREAM_FILE = f"{REFERENCE_DIR}/test_stream.csv"
LAYOUTS = ("platformio", "sketch")


@dataclass(frozen=True)
class Layout:
    name: str
    app_dir: str  # the app, the board main and the sensor hook
    lib_dir: str | None  # the model library's root (None: an older project with everything in src/)

    @property
    def lib_src(self) -> str | None:
        return f"{self.lib_dir}/src" if self.lib_dir else None

    def source_dirs(self, project: Path) -> list[Path]:
        """Folders whose C sources and headers make up the firmware (the app's first)."""
        dirs = [Path(project) / self.app_dir]
        return dirs + ([Path(project) / self.lib_src] if self.lib_src else [])


def layout(name: str) -> Layout:
    if name == "sketch":
        return Layout("sketch", app_dir=SKETCH_NAME, lib_dir=f"libraries/{LIB_NAME}")
    return Layout("platformio", app_dir="src", lib_dir=f"lib/{LIB_NAME}")


def from_manifest(manifest: dict) -> Layout:
    """The layout a manifest records; projects exported before the library layout keep all in src/."""
    if "lib_dir" not in manifest:
        return Layout("platformio", app_dir="src", lib_dir=None)
    return Layout(manifest.get("layout", "platformio"), app_dir=manifest["app_dir"], lib_dir=manifest["lib_dir"])
