"""One-off conversion of UEA JapaneseVowels from the `aeon` wheel to datasets/japanese_vowels.csv.gz.

Run once by a maintainer; tinydistill itself never needs aeon:

    pip download aeon==1.6.0 --no-deps -d /tmp/aeon
    python datasets/convert_japanese_vowels.py /tmp/aeon/aeon-1.6.0-py3-none-any.whl

The argument is the wheel or a folder it was unzipped into. The source files are
`aeon/datasets/data/JapaneseVowels/JapaneseVowels_{TRAIN,TEST}.ts` (not the `_eq_` files,
which pad every utterance to length 29). A .ts file is text: '#' comments, '@' header
lines up to '@data', then one case per line: the 12 channels joined by ':', each a
comma-separated series, and the class label (the speaker, 1-9) as the last ':' field.
Series lengths differ between cases (7-29) but are equal across the channels of a case;
the script checks that. Values are copied as the exact text of the source (no float
round trip), so the conversion is lossless and the output deterministic (TRAIN cases
first, then TEST, each in file order; gzip header without name and with mtime 0).
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

from aeon_ts import parse_ts, read_member

MEMBER = "aeon/datasets/data/JapaneseVowels/JapaneseVowels_{}.ts"
N_CHANNELS = 12
CHANNELS = [f"c{i:02d}" for i in range(1, N_CHANNELS + 1)]


def main(source: str, out: str = str(Path(__file__).with_name("japanese_vowels.csv.gz"))) -> None:
    rec = rows = 0
    with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        text = io.TextIOWrapper(gz, encoding="ascii", newline="")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["rec", "uea_split", "t", *CHANNELS, "speaker"])
        for split in ("TRAIN", "TEST"):
            for channels, label in parse_ts(read_member(source, MEMBER.format(split))):
                assert len(channels) == N_CHANNELS, len(channels)
                length = len(channels[0])
                assert all(len(c) == length for c in channels), "channels of one case differ in length"
                rec += 1
                for t in range(length):
                    writer.writerow([f"r{rec:03d}", split.lower(), t] + [c[t] for c in channels] + [label])
                rows += length
        text.flush()
        text.detach()
    print(f"wrote {rec} recordings, {rows} rows to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:])
