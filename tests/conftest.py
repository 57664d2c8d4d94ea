"""Shared fixtures: toolchain gating and the project's paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tinydistill.emu import toolchains

ROOT = Path(__file__).resolve().parent.parent
ANCHOR_MODEL = ROOT / "benchmarks" / "anchors" / "conv1d_m4.tflite"
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
    """The anchor model shipped in the repository (benchmarks/anchors/conv1d_m4.tflite)."""
    if not ANCHOR_MODEL.is_file():
        pytest.fail(f"anchor model not found at {ANCHOR_MODEL}")
    return ANCHOR_MODEL


# ---------------------------------------------------------------- the quantized basic-motions run
@pytest.fixture(scope="session")
def basic_motions_int8(basic_motions_run):
    """basic_motions_run quantized once per session: (run directory, QuantizeReport)."""
    from tinydistill.deploy.quantize import quantize_run

    return basic_motions_run, quantize_run(basic_motions_run)


# ---------------------------------------------------------------- run fixtures
# Trained once per session through the library API, with few epochs: seconds, not
# minutes. Each returns the run directory's Path (see tinydistill/rundir.py).


def _train_fixture(tmp_path_factory, name: str, **options) -> Path:
    from tinydistill.deploy.quantize import ensure_int8
    from tinydistill.rundir import open_run
    from tinydistill.training.train import TrainConfig, train

    options = {"epochs": 15, "teacher_epochs": 8, "seed": 0, **options}
    out = tmp_path_factory.mktemp("runs") / name
    train(TrainConfig(**options), out, progress=False)
    ensure_int8(open_run(out))  # as the CLI does before budget/evaluate/export
    return out


@pytest.fixture(scope="session")
def basic_motions_run(tmp_path_factory) -> Path:
    """basic-motions, classify, student on all six channels."""
    return _train_fixture(tmp_path_factory, "bm", dataset="basic-motions")


@pytest.fixture(scope="session")
def basic_motions_privileged_run(tmp_path_factory) -> Path:
    """basic-motions, classify, accelerometer student, gyroscope privileged (teacher only), hint loss on."""
    return _train_fixture(tmp_path_factory, "bm_priv", dataset="basic-motions",
                          privileged=("gyro_x", "gyro_y", "gyro_z"), hint=True)


@pytest.fixture(scope="session")
def forecast_run(tmp_path_factory) -> Path:
    """mackey-glass, forecast 8 steps ahead, intermediate time privileged."""
    return _train_fixture(tmp_path_factory, "mg", dataset="mackey-glass", task="forecast", hop=4)


@pytest.fixture(scope="session")
def anomaly_run(tmp_path_factory) -> Path:
    """basic-motions, anomaly autoencoder: standing is normal, every other activity an anomaly."""
    return _train_fixture(tmp_path_factory, "bm_anomaly", dataset="basic-motions", task="anomaly",
                          normal_class="standing")
