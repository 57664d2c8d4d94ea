"""Peak memory of reading a large user CSV (`train --csv`), measured in a fresh process.

Generates a deterministic long-format CSV (subject, recording, time, float channels,
label) of the asked size in a temporary directory, reads it with `csvdata.read_csv` in a
child process and reports the file size, the child's peak RSS (ru_maxrss), their ratio,
the increment above the same child reading a 3-row file (interpreter, numpy, pandas and
tinydistill imported) and the read time. Writes the "csv-memory" section of RESULTS.md.

    python -m benchmarks.csv_memory                  # 300 MB
    python -m benchmarks.csv_memory --mb 50 --no-write
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LABELS = ("walking", "running", "sitting", "cycling", "jumping")  # equal lengths: fixed-width rows
RECORDING = 2000  # samples per recording
SUBJECTS = 10

_CHILD = """
import json, resource, sys, time
import numpy, pandas
from tinydistill.data.csvdata import CsvSpec, read_csv
path, channels = sys.argv[1], tuple(sys.argv[2].split(","))
start = time.perf_counter()
ds = read_csv(CsvSpec(path, group="rec", label="activity", channels=channels, time="t", split_by="subject"))
seconds = time.perf_counter() - start
print(json.dumps({"peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "seconds": seconds,
                  "rows": sum(len(r.values) for r in ds.recordings), "recordings": len(ds.recordings)}))
"""


def channel_names(channels: int) -> list[str]:
    return [f"ch{i:02d}" for i in range(channels)]


def generate(path: Path, megabytes: float, channels: int = 8, seed: int = 0) -> int:
    """Write a CSV of about `megabytes` MB (10^6 bytes) to `path`; its number of data rows.

    Rows are fixed width, built as byte arrays (a Python loop per row would take minutes):
    `s03,r000012,001234,+0.123456,...,walking`, channels normal with 6 decimals.
    """
    header = ",".join(["subject", "rec", "t", *channel_names(channels), "activity"]) + "\n"
    fields = [3, 7, 6, *[9] * channels, 7]
    width = sum(fields) + len(fields)  # commas and the newline
    rows = max(3, int((megabytes * 1e6 - len(header)) // width))
    rng = np.random.default_rng(seed)
    with open(path, "wb") as f:
        f.write(header.encode())
        for start in range(0, rows, 100_000):
            index = np.arange(start, min(rows, start + 100_000))
            rec, t = index // RECORDING, index % RECORDING
            cols = [_text(np.char.add("s", np.char.zfill((rec % SUBJECTS).astype(str), 2))),
                    _text(np.char.add("r", np.char.zfill(rec.astype(str), 6))), _digits(t, 6)]
            cols += [_fixed(rng.normal(size=len(index))) for _ in range(channels)]
            cols.append(_text(np.array(LABELS)[rec % len(LABELS)]))
            block = np.full((len(index), width), ord(","), np.uint8)
            at = 0
            for field, col in zip(fields, cols):
                block[:, at:at + field] = col
                at += field + 1
            block[:, -1] = ord("\n")
            f.write(block.tobytes())
    return rows


def _text(values: np.ndarray) -> np.ndarray:
    return np.frombuffer(values.astype("S").tobytes(), np.uint8).reshape(len(values), -1)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1)
    return (ord("0") + values[:, None] // powers % 10).astype(np.uint8)


def _fixed(values: np.ndarray) -> np.ndarray:
    """`+d.dddddd` for each value (clipped to |v| < 10)."""
    micro = np.minimum(np.rint(np.abs(values) * 1e6).astype(np.int64), 9_999_999)
    digits = _digits(micro, 7)
    sign = np.where(values < 0, ord("-"), ord("+")).astype(np.uint8)[:, None]
    return np.hstack([sign, digits[:, :1], np.full((len(values), 1), ord("."), np.uint8), digits[:, 1:]])


def measure(path: Path, channels: int) -> dict:
    """Read `path` in a fresh interpreter: peak RSS (KB), seconds, rows and recordings."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), ",".join(channel_names(channels))],
                         capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(megabytes: float, channels: int, workdir: Path) -> dict:
    """Generate, measure the baseline (3-row file) and the big read; every figure in MB (10^6 bytes)."""
    small, big = workdir / "baseline.csv", workdir / "large.csv"
    generate(small, 0, channels)
    generate(big, megabytes, channels)
    base, read = measure(small, channels), measure(big, channels)
    load = os.getloadavg()[0]  # the read time depends on what else runs
    size = big.stat().st_size / 1e6
    peak, base_mb = read["peak_kb"] * 1024 / 1e6, base["peak_kb"] * 1024 / 1e6
    return {"file_mb": size, "rows": read["rows"], "recordings": read["recordings"], "channels": channels,
            "baseline_mb": base_mb, "peak_mb": peak, "ratio": peak / size,
            "increment_mb": peak - base_mb, "increment_ratio": (peak - base_mb) / size, "seconds": read["seconds"],
            "load": load, "cores": os.cpu_count()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=300.0, help="size of the generated CSV in MB (10^6 bytes)")
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        r = run(args.mb, args.channels, Path(tmp))
    from benchmarks.results import markdown_table, write_section

    table = markdown_table(
        ["CSV", "rows", "recordings", "peak RSS", "peak / file", "baseline", "increment", "increment / file",
         "read time", "load avg / cores"],
        [[f"{r['file_mb']:.1f} MB", f"{r['rows']:,}", f"{r['recordings']:,}", f"{r['peak_mb']:.1f} MB",
          f"{r['ratio']:.2f}x", f"{r['baseline_mb']:.1f} MB", f"{r['increment_mb']:.1f} MB",
          f"{r['increment_ratio']:.2f}x", f"{r['seconds']:.1f} s", f"{r['load']:.1f} / {r['cores']}"]])
    body = (f"`read_csv` on a generated CSV (subject, recording, time, {r['channels']} float channels with 6 "
            f"decimals, text label; {RECORDING} samples per recording, split by subject), in a fresh process. "
            "Peak RSS is the child's `ru_maxrss`; the baseline is the same child reading a 3-row file "
            "(Python, numpy, pandas and tinydistill loaded); MB = 10^6 bytes. The goal is a peak at most 4x "
            "the file for large files. The read time includes the scan that picks the fast number converter; "
            "the 1-minute load average at the end of the read says how much else the machine ran.\n\n" + table)
    print(body)
    if not args.no_write:
        write_section("csv-memory", "Reading a large CSV: peak memory", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
