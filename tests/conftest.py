"""Shared fixtures: toolchain gating and the project's paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tinydistill import toolchains

ROOT = Path(__file__).resolve().parent.parent
ANCHOR_MODEL = ROOT.parent / "shared" / "anchors" / "conv1d_m4.tflite"
REQUIRE_TOOLCHAINS = os.environ.get("TD_REQUIRE_TOOLCHAINS") == "1"


def need_tools(*commands: str) -> None:
    """Skip when a tool is missing, or fail under TD_REQUIRE_TOOLCHAINS=1 (CI installs them)."""
    missing = [c for c in commands if toolchains.which(c) is None]
    if not missing:
        return
    message = f"missing {', '.join(missing)} (run `make setup`)"
    if REQUIRE_TOOLCHAINS:
        pytest.fail(f"TD_REQUIRE_TOOLCHAINS=1 and {message}")
    pytest.skip(message)


@pytest.fixture
def anchor_model() -> Path:
    """The shared anchor model (../shared/anchors/conv1d_m4.tflite)."""
    if not ANCHOR_MODEL.is_file():
        pytest.fail(f"anchor model not found at {ANCHOR_MODEL}")
    return ANCHOR_MODEL
