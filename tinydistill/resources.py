"""Locate the data that ships with the package: firmware/, templates/, datasets/.

In a wheel they live under `tinydistill/_data/`; in a source checkout (editable
install, tests) they are the top-level folders of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _locate(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"tinydistill's {name}/ folder is missing; reinstall the package")


def firmware_dir() -> Path:
    """The portable C runtime (kernels, streaming, platform start-up files)."""
    return _locate("firmware")


def templates_dir() -> Path:
    """The Jinja templates for generated C and PlatformIO projects."""
    return _locate("templates")


def datasets_dir() -> Path:
    """The datasets shipped as CSV with their provenance notes."""
    return _locate("datasets")
