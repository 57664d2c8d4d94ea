"""One-off conversion of three univariate archive sets from the `aeon` wheel to datasets/ucr/.

Run once by a maintainer; tinydistill itself never needs aeon:

    pip download aeon==1.6.0 --no-deps -d /tmp/aeon
    python datasets/convert_ucr.py /tmp/aeon/aeon-1.6.0-py3-none-any.whl

The argument is the wheel or a folder it was unzipped into. Writes, for each of
ACSF1, OSULeaf and Covid3Month_disc (folders of the same names under
`aeon/datasets/data/`), `datasets/ucr/<lowercase name>.csv.gz`: a long CSV with one row
per sample, `rec,uea_split,t,x,class`, one recording per series (TRAIN series first,
then TEST, each in file order), usable as

    tinydistill train --csv datasets/ucr/acsf1.csv.gz --group rec --label class --channels x --time t

A .ts file is text: '#' comments, '@' header lines up to '@data', then one series per
line: comma-separated values and the class label after the last ':'. Values are copied
as the exact text of the source (lossless, no float round trip). Class labels are also
copied, except that Covid3Month_disc's float-looking labels "0.0", "1.0", "2.0" become
"0", "1", "2". gzip headers carry no name and mtime 0, so the bytes are deterministic.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

from aeon_ts import parse_ts, read_member

DATASETS = ["ACSF1", "OSULeaf", "Covid3Month_disc"]
MEMBER = "aeon/datasets/data/{name}/{name}_{split}.ts"


def _label(label: str) -> str:
    # "1.0" -> "1"; other labels unchanged
    try:
        f = float(label)
    except ValueError:
        return label
    return str(int(f)) if f.is_integer() and "." in label else label


def convert(source: str, name: str, out: Path) -> None:
    rec = rows = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        text = io.TextIOWrapper(gz, encoding="ascii", newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["rec", "uea_split", "t", "x", "class"])
        for split in ("TRAIN", "TEST"):
            for (values,), label in parse_ts(read_member(source, MEMBER.format(name=name, split=split)), 1):
                rec += 1
                label = _label(label)
                for t, v in enumerate(values):
                    writer.writerow([f"r{rec:03d}", split.lower(), t, v, label])
                rows += len(values)
        text.flush()
        text.detach()
    print(f"{name}: wrote {rec} recordings, {rows} rows to {out}")


def main(source: str, out_dir: str = str(Path(__file__).with_name("ucr"))) -> None:
    for name in DATASETS:
        convert(source, name, Path(out_dir) / f"{name.lower()}.csv.gz")


if __name__ == "__main__":
    main(*sys.argv[1:])
