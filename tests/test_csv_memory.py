"""Reading a large user CSV keeps peak memory within 4x the file's size (chunked reading)."""

from __future__ import annotations

from benchmarks import csv_memory


def test_a_30_mb_csv_is_read_with_a_peak_increment_under_four_times_its_size(tmp_path):
    # A fresh process reads it; the same process reading a 3-row file is the baseline (imports).
    # Reading every cell as a Python string (the reader before chunking) needed ~10x here.
    r = csv_memory.run(30, 8, tmp_path)
    assert r["rows"] == 280_373 and r["recordings"] == 141  # every row read, grouped
    assert r["increment_mb"] <= 4 * r["file_mb"], r
