"""One-off conversion of UEA BasicMotions from the `aeon` wheel to datasets/basic_motions.csv.

Run once by a maintainer; tinydistill itself never needs aeon:

    pip download aeon==1.6.0 --no-deps -d /tmp/aeon
    python datasets/convert_basic_motions.py /tmp/aeon/aeon-1.6.0-py3-none-any.whl

The .ts files hold one recording per line: six comma-separated dimensions joined by
':' and the class name last. Dimensions 1-3 are the accelerometer, 4-6 the gyroscope.
"""

from __future__ import annotations

import csv
import sys
import zipfile
from pathlib import Path

CHANNELS = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
MEMBER = "aeon/datasets/data/BasicMotions/BasicMotions_{}.ts"


def _recordings(text: str):
    body = text.split("@data", 1)[1]
    for line in body.strip().splitlines():
        *dims, label = line.strip().split(":")
        series = [[float(v) for v in d.split(",")] for d in dims]
        yield series, label.lower()


def main(wheel: str, out: str = str(Path(__file__).with_name("basic_motions.csv"))) -> None:
    rows = []
    rec = 0
    with zipfile.ZipFile(wheel) as zf:
        for split in ("TRAIN", "TEST"):
            for series, label in _recordings(zf.read(MEMBER.format(split)).decode()):
                rec += 1
                for t in range(len(series[0])):
                    rows.append([f"r{rec:02d}", split.lower(), t] + [f"{d[t]:.6f}" for d in series] + [label])
    with open(out, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["rec", "uea_split", "t", *CHANNELS, "activity"])
        writer.writerows(rows)
    print(f"wrote {rec} recordings, {len(rows)} rows to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
