"""The built-in dataset registry (the data model is in recordings.py).

Built-ins: `basic-motions`, `watch` and `japanese-vowels` (real data shipped as CSV),
`mackey-glass` (generated), `mnist1d` (generated offline by the mnist1d package).
User CSVs come from csvdata.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..errors import TinyDistillError
from .csvdata import CsvSpec, read_csv, read_shipped_csv
from .recordings import Dataset, Recording


@dataclass(frozen=True)
class BuiltIn:
    name: str
    task: str
    channels: tuple[str, ...]
    classes: str
    provenance: str


BUILTINS = {
    "basic-motions": BuiltIn(
        "basic-motions", "classify, anomaly",
        ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
        "standing, walking, running, badminton",
        "UEA BasicMotions: smartwatch IMU, 80 recordings x 100 samples at 10 Hz (datasets/basic_motions.csv)"),
    "mackey-glass": BuiltIn(
        "mackey-glass", "forecast, classify",
        ("x",), "fall, rise (value `horizon` steps ahead)",
        "generated: Mackey-Glass delay equation, tau=17 (Hayashi et al. 2019 setting)"),
    "mnist1d": BuiltIn(
        "mnist1d", "classify", ("x",), "digits 0-9",
        "generated offline by the mnist1d package: 5,000 sequences of length 40"),
    "watch": BuiltIn(
        "watch", "classify, anomaly",
        ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"),
        "PEN, ABD, FEL, IR, ER, TRAP, ROW (shoulder exercises)",
        "seglearn watch (Burns et al. 2018): smartwatch acc (g) + gyro (rad/s) at 50 Hz, 140 recordings of "
        "947-2,618 samples by 10 subjects, split by subject (datasets/watch.csv.gz); "
        "e.g. --privileged gyro_x,gyro_y,gyro_z"),
    "japanese-vowels": BuiltIn(
        "japanese-vowels", "classify",
        tuple(f"c{i:02d}" for i in range(1, 13)), "speakers 1-9",
        "UEA/UCI JapaneseVowels (Kudo et al. 1999): 640 utterances of /ae/, 12 LPC cepstrum coefficients, "
        "7-29 frames padded to 29, one window each (datasets/japanese_vowels.csv.gz); "
        "suggested: --privileged c07,c08,c09,c10,c11,c12 (the student sees c01-c06)"),
}


def list_datasets() -> list[BuiltIn]:
    """The built-in datasets with their channels, classes, tasks and provenance."""
    return list(BUILTINS.values())


def load(spec, *, horizon: int = 8, seed: int = 0) -> Dataset:
    """Load a built-in dataset by name, or a user CSV from a `csvdata.CsvSpec`.

    `horizon` only matters for mackey-glass, whose label looks `horizon` steps ahead.
    """
    if isinstance(spec, CsvSpec):
        return read_csv(spec)
    if spec == "basic-motions":
        return _basic_motions()
    if spec == "watch":
        return _watch()
    if spec == "japanese-vowels":
        return _japanese_vowels()
    if spec == "mackey-glass":
        return mackey_glass(horizon=horizon)
    if spec == "mnist1d":
        return _mnist1d()
    raise TinyDistillError(
        f"unknown dataset {spec!r}; built-in datasets are {', '.join(BUILTINS)} "
        "(see `tinydistill datasets`), or pass your own with --csv FILE --group COL --label COL --channels ...")


def _basic_motions() -> Dataset:
    from ..resources import datasets_dir

    spec = CsvSpec(path=datasets_dir() / "basic_motions.csv", group="rec", label="activity",
                   channels=BUILTINS["basic-motions"].channels, time="t")
    ds = read_csv(spec)
    return Dataset("basic-motions", ds.channels, ds.labels, ds.recordings, sample_rate_hz=10.0,
                   defaults={"window": 32, "hop": 8})


@functools.lru_cache(maxsize=1)
def _watch() -> Dataset:
    """seglearn's watch set: cached, since parsing its 6.5 MB takes about a second."""
    channels = BUILTINS["watch"].channels
    ds = read_shipped_csv("watch.csv.gz", group="rec", label="exercise", channels=channels, time="t",
                          split_by="subject", dtypes={"subject": str, "side": str, "exercise": str},
                          classes=("PEN", "ABD", "FEL", "IR", "ER", "TRAP", "ROW"))
    # 128 samples = 2.56 s, about one repetition of an exercise. Hop 64 (half a window)
    # gives about 2,300 training windows from the 6 training subjects: enough to learn
    # from, few enough for a teacher to train in minutes on a laptop CPU (hop 32 doubles it).
    return Dataset("watch", ds.channels, ds.labels, ds.recordings, sample_rate_hz=50.0,
                   defaults={"window": 128, "hop": 64}, split_by="subject")


@functools.lru_cache(maxsize=1)
def _japanese_vowels() -> Dataset:
    """JapaneseVowels, each utterance padded to 29 frames by repeating its last frame.

    With window = hop = 29 every utterance is exactly one window, the usual way this
    set is classified (one label per utterance; the equal-length form of the archive,
    aeon's `_eq_` files, also has length 29).
    """
    ds = read_shipped_csv("japanese_vowels.csv.gz", group="rec", label="speaker",
                          channels=BUILTINS["japanese-vowels"].channels, time="t",
                          dtypes={"uea_split": str, "speaker": str}, classes=tuple(str(s) for s in range(1, 10)))
    length = max(len(r.values) for r in ds.recordings)
    recordings = tuple(Recording(r.id, np.pad(r.values, ((0, length - len(r.values)), (0, 0)), mode="edge"),
                                 np.full(length, r.labels[0]), r.split_group) for r in ds.recordings)
    # Frames are 25.6 ms analysis windows shifted by 6.4 ms (Kudo et al.): 156.25 per second.
    return Dataset("japanese-vowels", ds.channels, ds.labels, recordings, sample_rate_hz=1 / 0.0064,
                   defaults={"window": length, "hop": length})


def mackey_glass(horizon: int = 8, n_recordings: int = 24, length: int = 400, tau: int = 17,
                 seed: int = 17, sample_step: float = 1.0) -> Dataset:
    """The Mackey-Glass series (tau=17), one sample every `sample_step` time units, cut into recordings.

    Each sample is labelled "rise" when the value `horizon` samples later is higher; the
    last `horizon` samples of a recording keep label -1 (unknown) and windowing never
    ends a window there (label_lookahead). `sample_step` must be a multiple of the
    0.1-unit integration step, so every step samples the same trajectory.
    """
    if horizon < 1:
        raise TinyDistillError(f"--horizon must be at least 1, got {horizon}")
    series = _mackey_glass_series(n_recordings * length, tau=tau, seed=seed, step=sample_step)
    recordings = []
    for r in range(n_recordings):
        x = series[r * length:(r + 1) * length]
        labels = np.full(length, -1, dtype=np.int64)
        labels[:-horizon] = (x[horizon:] > x[:-horizon]).astype(np.int64)
        recordings.append(Recording(f"mg{r:02d}", x[:, None].copy(), labels))
    # Hayashi et al.'s student sees 4 samples: the default window.
    return Dataset("mackey-glass", ("x",), ("fall", "rise"), tuple(recordings), sample_rate_hz=1.0 / sample_step,
                   label_lookahead=horizon, defaults={"window": 4, "hop": 2, "horizon": horizon})


def _mackey_glass_series(n: int, *, tau: int, seed: int, beta: float = 0.2, gamma: float = 0.1,
                         power: int = 10, substeps: int = 10, burn_in: int = 500, step: float = 1.0) -> np.ndarray:
    # Fixed-step Euler with 10 sub-steps per time unit: accurate enough for a
    # benchmark series, exactly reproducible, and fast without an ODE solver.
    # The integration step never depends on `step`: samples are every `every`-th sub-step.
    every = round(step * substeps)
    if every < 1 or abs(every - step * substeps) > 1e-9:
        raise TinyDistillError(f"sample step must be a positive multiple of {1 / substeps:g}, got {step}")
    dt = 1.0 / substeps
    lag = tau * substeps
    rng = np.random.default_rng(seed)
    total = burn_in * substeps + n * every
    x = np.empty(lag + total)
    x[:lag] = 1.2 + 0.05 * rng.standard_normal(lag)
    for i in range(lag, lag + total):
        delayed, prev = x[i - lag], x[i - 1]
        x[i] = prev + dt * (beta * delayed / (1.0 + delayed ** power) - gamma * prev)
    start = lag + burn_in * substeps
    return x[start:start + n * every:every]


def _mnist1d() -> Dataset:
    from mnist1d.data import get_dataset_args, make_dataset

    # make_dataset generates from the package's templates; get_dataset() would try a
    # download and leave a pickle in the working directory, so it is never called.
    data = make_dataset(get_dataset_args())
    xs = np.concatenate([data["x"], data["x_test"]]).astype(np.float64)
    ys = np.concatenate([data["y"], data["y_test"]]).astype(np.int64)
    recordings = tuple(Recording(f"m{i:04d}", x[:, None], np.full(len(x), y)) for i, (x, y) in enumerate(zip(xs, ys)))
    return Dataset("mnist1d", ("x",), tuple(str(d) for d in range(10)), recordings, sample_rate_hz=1.0,
                   defaults={"window": xs.shape[1], "hop": xs.shape[1]})
