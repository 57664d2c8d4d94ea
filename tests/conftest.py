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


# ---------------------------------------------------------------- issue 4: a small run directory per task
# Built by hand following tinydistill/rundir.py (synthetic sines, a models.py student trained a few epochs),
# so quantize/budget/evaluate tests do not depend on `train`; one per task and session.

def _tiny_run(root: Path, task: str) -> Path:
    import json

    import keras
    import numpy as np

    from tinydistill import models

    rng = np.random.default_rng(0)
    window, hop, channels = 32, 8, ["a", "b", "c"]
    t = np.arange(64)
    recs = []  # (id, values [T, C], label per sample)
    for r in range(48):
        cls = r % 4
        phase = rng.uniform(0, 2 * np.pi, 3)
        values = np.stack([np.sin(2 * np.pi * (cls + 1) * t / 32 + p) for p in phase], 1) + 0.2 * rng.normal(size=(64, 3))
        recs.append((f"r{r}", values * (1 + cls), cls))
    split = {"train": recs[:32], "val": recs[32:40], "test": recs[40:]}
    mean = np.concatenate([v for _, v, _ in split["train"]]).mean(0)
    std = np.concatenate([v for _, v, _ in split["train"]]).std(0)
    arrays = {}
    for name, part in split.items():
        xs, ys = [], []
        for _, v, cls in part:
            for end in range(window, 64 - (4 if task == "forecast" else 0) + 1, hop):
                w = (v[end - window:end] - mean) / std
                xs.append(w)
                ys.append(cls if task == "classify" else int(cls == 3) if task == "anomaly"
                          else (v[end - 1 + 4, 0] - mean[0]) / std[0])
        arrays[f"x_{name}"] = np.asarray(xs, np.float32)
        arrays[f"y_{name}"] = np.asarray(ys, np.float32 if task == "forecast" else np.int64)
    keras.utils.set_random_seed(0)
    model = models.build("student", task, (window, 3), 4, {"classify": 8, "forecast": 4, "anomaly": 4}[task])
    x, y = arrays["x_train"], arrays["y_train"]
    if task == "classify":
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, epochs=30, batch_size=16, verbose=0)
        model = models.with_softmax(model)
    else:
        model.compile("adam", "mse")
        keep = y == 0 if task == "anomaly" else slice(None)
        model.fit(x[keep], x[keep] if task == "anomaly" else y, epochs=30, batch_size=16, verbose=0)
    run = root / task
    run.mkdir()
    model.save(run / "student.keras")
    np.savez(run / "splits.npz", **arrays)
    labels = {"classify": ["c0", "c1", "c2", "c3"], "anomaly": ["normal", "anomaly"], "forecast": []}[task]
    config = {"task": task, "dataset": "synthetic", "channels": channels, "student_channels": channels,
              "privileged": [], "window": window, "hop": hop, "sample_rate_hz": 10.0, "labels": labels, "seed": 0}
    if task == "forecast":
        config.update(horizon=4, predict_channel="a")
    (run / "config.json").write_text(json.dumps(config))
    (run / "normalization.json").write_text(json.dumps({"channels": channels, "mean": mean.tolist(),
                                                        "std": std.tolist()}))
    (run / "metrics.json").write_text(json.dumps({"student": {"params": int(model.count_params())}}))
    rows = ["rec,a,b,c,label"] + [f"{rid},{v[i, 0]!r},{v[i, 1]!r},{v[i, 2]!r},c{cls}"
                                  for rid, v, cls in split["test"] for i in range(64)]
    (run / "test_stream.csv").write_text("\n".join(rows) + "\n")
    return run


@pytest.fixture(scope="session")
def tiny_runs(tmp_path_factory):
    """Build-on-demand small run directories: tiny_runs("classify" | "forecast" | "anomaly") -> Path."""
    root = tmp_path_factory.mktemp("tiny_runs")
    cache: dict[str, Path] = {}

    def get(task: str) -> Path:
        if task not in cache:
            cache[task] = _tiny_run(root, task)
        return cache[task]

    return get


# ---------------------------------------------------------------- run fixtures (issue 2)
# Trained once per session through the library API, with few epochs: seconds, not
# minutes. Each returns the run directory's Path (see tinydistill/rundir.py).


def _train_fixture(tmp_path_factory, name: str, **options) -> Path:
    from tinydistill.train import TrainConfig, train

    options = {"epochs": 15, "teacher_epochs": 8, "seed": 0, **options}
    out = tmp_path_factory.mktemp("runs") / name
    train(TrainConfig(**options), out, progress=False)
    return out


@pytest.fixture(scope="session")
def basic_motions_run(tmp_path_factory) -> Path:
    """basic-motions, classify, student on all six channels."""
    return _train_fixture(tmp_path_factory, "bm", dataset="basic-motions")


@pytest.fixture(scope="session")
def basic_motions_privileged_run(tmp_path_factory) -> Path:
    """basic-motions, classify, accelerometer student, gyroscope privileged (teacher only)."""
    return _train_fixture(tmp_path_factory, "bm_priv", dataset="basic-motions",
                          privileged=("gyro_x", "gyro_y", "gyro_z"))


@pytest.fixture(scope="session")
def forecast_run(tmp_path_factory) -> Path:
    """mackey-glass, forecast 8 steps ahead, intermediate time privileged."""
    return _train_fixture(tmp_path_factory, "mg", dataset="mackey-glass", task="forecast")


@pytest.fixture(scope="session")
def anomaly_run(tmp_path_factory) -> Path:
    """basic-motions, anomaly autoencoder: standing is normal, every other activity an anomaly."""
    return _train_fixture(tmp_path_factory, "bm_anomaly", dataset="basic-motions", task="anomaly",
                          normal_class="standing")
