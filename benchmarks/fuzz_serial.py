"""Fuzz the firmware's serial reader and stream runtime under AddressSanitizer and UBSan.

Builds benchmarks/fuzz_serial_harness.c with firmware/stream/td_serial_csv.c and td_stream.c
(gcc, -fsanitize=address,undefined, no recovery) and feeds it seeded inputs: lines from the
protocol's grammar (good samples in many number formats, resets, comments, float32 edges,
nan/inf, hex floats, wrong value counts, over-long lines and values, NUL and random bytes, CR /
LF / CRLF endings) plus byte-level mutations, with random stream configurations (1-64 channels,
up to 300 classes, every smoothing). Each input is checked against an independent reference of
the protocol: samples bit for bit, resets, error messages, windows, inference schedule, smoothed
decisions and state invariants. Writes the "fuzz-serial" section of RESULTS.md.

    nice -n 5 python -m benchmarks.fuzz_serial --jobs 2       # 10 million inputs
    python -m benchmarks.fuzz_serial --inputs 100000 --no-write
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

from benchmarks import results
from tinydistill.resources import firmware_dir

HARNESS = Path(__file__).resolve().parent / "fuzz_serial_harness.c"
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-g", "-ffp-contract=off",
          "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
COUNTS = ("inputs", "bytes", "lines", "samples", "resets", "errors", "ignored", "windows", "decisions",
          "over_128_classes", "port_none")


class FuzzFinding(RuntimeError):
    """The harness stopped on a mismatch or a sanitizer report."""


def build(out_dir: str | Path, stream: Path | None = None) -> Path:
    """Compile the harness with the reader and runtime in `stream` (default firmware/stream) under ASan/UBSan."""
    stream = stream or firmware_dir() / "stream"
    exe = Path(out_dir) / "fuzz_serial"
    subprocess.run(["gcc", *CFLAGS, "-I", str(stream), str(HARNESS), str(stream / "td_serial_csv.c"),
                    str(stream / "td_stream.c"), "-lm", "-o", str(exe)], check=True)
    return exe


def run(exe: Path, inputs: int, seed: int, timeout: float | None = None) -> dict[str, int]:
    """Feed `inputs` inputs from `seed`; the harness's counts, or FuzzFinding with its report."""
    proc = subprocess.run([str(exe), str(inputs), str(seed)], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise FuzzFinding(f"seed {seed}: exit {proc.returncode}\n{proc.stderr[-4000:]}")
    counts = dict(re.findall(r"(\w+)=(\d+)", proc.stdout))
    return {k: int(counts[k]) for k in COUNTS}


def campaign(inputs: int, seed: int, chunk: int, jobs: int = 1, minutes: float | None = None,
             progress=None) -> tuple[dict[str, int], float]:
    """Run `inputs` inputs in chunks of `chunk` (seed, seed + 1, ...), `jobs` at a time; summed counts, seconds.

    With `minutes`, no chunk starts that long after the build: the counts then cover fewer inputs than asked for.
    """
    totals = dict.fromkeys(COUNTS, 0)
    sizes = [min(chunk, inputs - done) for done in range(0, inputs, chunk)]
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=jobs) as pool:
        exe = build(tmp)
        deadline = time.monotonic() + 60 * minutes if minutes is not None else None
        pending: set = set()
        k = 0
        while k < len(sizes) or pending:
            while k < len(sizes) and len(pending) < jobs and (deadline is None or time.monotonic() < deadline):
                pending.add(pool.submit(run, exe, sizes[k], seed + k))
                k += 1
            if not pending:
                break
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                counts = future.result()
                for key in COUNTS:
                    totals[key] += counts[key]
            if progress:
                progress(totals["inputs"], inputs, time.monotonic() - start)
    return totals, time.monotonic() - start


def section(totals: dict[str, int], seconds: float, seed: int, chunk: int, jobs: int, asked: int) -> str:
    """The RESULTS.md body."""
    rows = [
        ["inputs (seeded, grammar + byte mutations)", f"{totals['inputs']:,}"],
        ["bytes fed to the serial reader", f"{totals['bytes']:,}"],
        ["lines", f"{totals['lines']:,}"],
        ["samples read (bit-exact with the reference)", f"{totals['samples']:,}"],
        ["bad lines refused with a message (window reset)", f"{totals['errors']:,}"],
        ["resets (reset lines and bad lines)", f"{totals['resets']:,}"],
        ["blank and comment lines ignored", f"{totals['ignored']:,}"],
        ["windows compared byte for byte", f"{totals['windows']:,}"],
        ["smoothed decisions compared", f"{totals['decisions']:,}"],
        ["inputs with more than 128 classes", f"{totals['over_128_classes']:,}"],
        ["port reads that found nothing yet", f"{totals['port_none']:,}"],
        ["sanitizer reports or mismatches", "0"],
    ]
    chunks = -(-totals["inputs"] // chunk)
    return (results.markdown_table(["", "count"], rows) +
            f"\nHarness `benchmarks/fuzz_serial_harness.c` against `firmware/stream/td_serial_csv.c` and "
            f"`td_stream.c`, gcc `-fsanitize=address,undefined -fno-sanitize-recover=all`; seeds "
            f"{seed}..{seed + chunks - 1} ({chunk:,} inputs each, {jobs} at a time); {seconds / 60:.1f} minutes on "
            f"this machine's shared cores." +
            (f" Stopped at the time limit after {totals['inputs']:,} of the {asked:,} inputs asked for."
             if totals["inputs"] < asked else "") + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000_000, help="inputs in all (default 10 million)")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--chunk", type=int, default=100_000, help="inputs per harness process")
    parser.add_argument("--jobs", type=int, default=1, help="harness processes at a time")
    parser.add_argument("--minutes", type=float, help="start no chunk after this many minutes of fuzzing")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    args = parser.parse_args(argv)
    if args.inputs < 1 or args.chunk < 1 or args.jobs < 1:
        parser.error("--inputs, --chunk and --jobs must be >= 1")

    def progress(done: int, total: int, seconds: float) -> None:
        print(f"{done:,}/{total:,} inputs clean ({seconds:.0f} s)", file=sys.stderr, flush=True)

    try:
        totals, seconds = campaign(args.inputs, args.seed, args.chunk, args.jobs, args.minutes, progress)
    except FuzzFinding as e:
        print(f"finding: {e}", file=sys.stderr)
        return 1
    body = section(totals, seconds, args.seed, args.chunk, args.jobs, args.inputs)
    if args.no_write:
        print(body)
    else:
        results.write_section("fuzz-serial", "Serial reader and stream runtime fuzzing (ASan + UBSan)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
