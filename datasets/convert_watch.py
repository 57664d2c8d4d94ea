"""One-off conversion of seglearn's smartwatch shoulder-exercise data to datasets/watch.csv.gz.

Run once by a maintainer; tinydistill itself never needs seglearn:

    pip download seglearn==1.2.5 --no-deps -d /tmp/seglearn
    python datasets/convert_watch.py /tmp/seglearn/seglearn-1.2.5-py3-none-any.whl

The argument is the wheel or a folder it was unzipped into. The wheel ships
`seglearn/data/watch_dataset.npy`, a pickled dict: X (list of [T, 6] float arrays in the
order of X_labels = ax, ay, az, wx, wy, wz, sampled at 50 Hz), y (index into y_labels,
the exercise), subject (1-10) and side (1 = right, 0 = left; seglearn's docstring).
Every value in the source has exactly six decimals, so they are written with up to six
decimals (trailing zeros dropped): the conversion is lossless. Recordings keep the order
of the source (r001..r140). The gzip header carries no name and mtime 0, so the bytes
are deterministic.

Needs numpy only (the .npy file is a pickle of numpy objects).
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

MEMBER = "seglearn/data/watch_dataset.npy"
SOURCE_CHANNELS = ["ax", "ay", "az", "wx", "wy", "wz"]
CHANNELS = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
SIDES = {0: "left", 1: "right"}


def _load(source: str) -> dict:
    path = Path(source)
    if path.is_dir():
        raw = (path / MEMBER).read_bytes()
    else:
        with zipfile.ZipFile(path) as zf:
            raw = zf.read(MEMBER)
    return np.load(io.BytesIO(raw), allow_pickle=True).item()


def _fmt(v: float) -> str:
    s = f"{v:.6f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def main(source: str, out: str = str(Path(__file__).with_name("watch.csv.gz"))) -> None:
    data = _load(source)
    assert list(data["X_labels"]) == SOURCE_CHANNELS, data["X_labels"]
    names = list(data["y_labels"])
    n = len(data["X"])
    assert len(data["y"]) == len(data["subject"]) == len(data["side"]) == n
    rows = 0
    with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        text = io.TextIOWrapper(gz, encoding="ascii", newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["rec", "subject", "side", "t", *CHANNELS, "exercise"])
        for i in range(n):
            x = np.asarray(data["X"][i], dtype=np.float64)
            assert x.ndim == 2 and x.shape[1] == 6 and np.isfinite(x).all()
            assert np.abs(x - np.round(x, 6)).max() < 1e-9, "source has more than 6 decimals"
            side = SIDES[int(data["side"][i])]
            head = [f"r{i + 1:03d}", int(data["subject"][i]), side]
            label = names[int(data["y"][i])]
            for t, sample in enumerate(x):
                writer.writerow(head + [t] + [_fmt(v) for v in sample] + [label])
            rows += len(x)
        text.flush()
        text.detach()
    print(f"wrote {n} recordings, {rows} rows to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
