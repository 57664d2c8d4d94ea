"""Incremental streaming inference against the full-window engine, on an emulated Cortex-M4.

Trains (once, into --work) the basic-motions streamable student (`train --streaming`),
quantizes it, and streams the run's recorded test stream through the generated C in QEMU
(mps2-an386) at H = W/2, W/4, W/8, W/16: the full-window engine (`td_model_invoke` on every
window) and the streaming engine (`td_model_stream_step` on each hop's new samples). Exact
instructions per call (QEMU's instruction counter between td_bench_begin/end) and estimated
M4 cycles (TRM timings over the retired instructions), MACs per hop, the RAM of each engine
(the full engine's planned arena; the streaming state) and the agreement of every window's
output with BUILTIN_REF on that whole window. The same figures for the anchor model
(benchmarks/anchors/conv1d_m4.tflite, TFLM's reference point: already valid padding, so it
streams unchanged) on random int8 recordings. Results go to the `streaming` and
`streaming-anchor` sections of benchmarks/RESULTS.md.

The `streaming-accuracy` section compares the streamable family's accuracy with the default
family's on basic-motions, mnist1d and watch, paired over seeds; its runs share
benchmarks/distill_table.py's cache and teachers (about an hour on 2 cores when nothing is cached).

    python -m benchmarks.streaming [--work DIR] [--epochs N] [--only instructions|anchor|accuracy]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks.results import RESULTS, markdown_table, write_section  # noqa: E402

DATASET = "basic-motions"
ACCURACY_SETS = ("basic-motions", "mnist1d", "watch")  # issue-sized: the device sets the family is for
CLOSE_POINTS = 1.0
ANCHOR = Path(__file__).resolve().parent / "anchors" / "conv1d_m4.tflite"
# The anchor has no recorded stream: random int8 recordings of uneven lengths (a window and 3/8 of one to
# three windows), so every hop sees several steps and each recording starts the engine afresh.
ANCHOR_RECORDINGS = 3
PLATFORM = "cortex-m4"


def _run(work: Path, epochs: int, streaming: bool = True, dataset: str = DATASET) -> Path:
    """The run directory of `dataset`'s streamable (or default) student family, trained once."""
    from tinydistill.training.train import TrainConfig, train

    out = work / f"{dataset}-{'streaming' if streaming else 'default'}"
    if not (out / "metrics.json").is_file():
        train(TrainConfig(dataset=dataset, streaming=streaming, epochs=epochs, teacher_epochs=max(1, epochs // 2),
                          seed=0), out, progress=False)
    return out


def accuracy(repeats: int, jobs: int, cache: Path | None) -> str:
    """The streamable family against the default family, paired over seeds, as a RESULTS.md body.

    Both families are `train` runs with default options in benchmarks/distill_table.py's cache: the
    streamable runs (`--streaming`) reuse the default run's teacher of the same seed, so the two
    students of a pair share teacher, split and seed and differ only in the family.
    """
    from benchmarks import stats
    from benchmarks.distill_table import ROOT, SETS, _pct, collect, train_all

    cache = cache or ROOT / "runs" / "bench-distill"
    seeds = range(repeats)
    rows, comps = [], []
    for name in ACCURACY_SETS:
        ds = SETS[name]
        for family in ("default", "streaming"):  # default first: the streamable runs reuse its teachers
            train_all([(ds, family, s, cache, False) for s in seeds], jobs)
        default, streamable = (collect(ds, f, seeds, cache, False) for f in ("default", "streaming"))
        comps.append((name, stats.paired(streamable.student, default.student),
                      stats.paired(streamable.baseline, default.baseline)))
        for label, cell in (("default (same padding)", default), ("streamable (valid padding)", streamable)):
            rows.append([name, label, f"{cell.params['student']:,}", _pct(cell.teacher), _pct(cell.baseline),
                         _pct(cell.student)])
    adjusted = stats.holm([c.p for _, c, _ in comps])
    diffs = [[name, kd.interval(100), f"{p:.3f}", alone.interval(100),
              "yes" if abs(100 * kd.mean) <= CLOSE_POINTS else "no"]
             for (name, kd, alone), p in zip(comps, adjusted)]
    near = [name for name, kd, _ in comps if abs(100 * kd.mean) <= CLOSE_POINTS]
    above = [f"{name} ({100 * kd.mean:+.1f})" for name, kd, _ in comps if 100 * kd.mean > CLOSE_POINTS]
    below = [f"{name} ({100 * kd.mean:+.1f})" for name, kd, _ in comps if 100 * kd.mean < -CLOSE_POINTS]
    sentence = (f"The streamable family's distilled student is within {CLOSE_POINTS:g} point of the default family's "
                f"(mean over the paired repeats) on {', '.join(near) or 'none of the sets'}"
                + (f"; it is more than {CLOSE_POINTS:g} point above it on {', '.join(above)}" if above else "")
                + (f"; it is more than {CLOSE_POINTS:g} point below it on {', '.join(below)}" if below else "")
                + " (streamable − default, points; the CIs and Holm p-values are in the table).")
    return (f"Test-split accuracy of both student families, {repeats} paired repeats per set (seeds 0-{repeats - 1}), "
            "each a `train` run with default options (training to convergence, T and α chosen on validation, the "
            "baseline with as many validation-selected candidates). *default*: `classify_student` (same padding); "
            "*streamable*: `train --streaming` (`classify_student_streaming`: the same layers with valid padding). "
            "A pair shares its teacher (the streamable run reuses the default run's, `--teacher-from`), split and "
            "seed. Float accuracy, mean ± standard deviation over repeats.\n\n"
            + markdown_table(["set", "student family", "student params", "teacher %", "baseline (no KD) %",
                              "distilled %"], rows)
            + "\n\nStreamable − default, paired by seed, points [95 % CI]; Holm over the sets for the distilled "
            "students:\n\n"
            + markdown_table(["set", "distilled: streamable − default", "Holm p",
                              "baseline: streamable − default", f"distilled within {CLOSE_POINTS:g} point"], diffs)
            + "\n\n" + sentence + "\n")


def _recordings(run_dir: Path, tflite: Path) -> list[np.ndarray]:
    """The run's recorded test stream, quantized as the firmware does, one array per recording."""
    from tinydistill.data.stream_csv import load_stream
    from tinydistill.deploy.streaming import quantize, spec_from_run
    from tinydistill.rundir import open_run

    run = open_run(run_dir)
    spec = spec_from_run(run, tflite)
    stream = load_stream(run_dir / "test_stream.csv", spec.channels)
    q = quantize(stream.values, spec.scale, spec.offset)
    starts = [*np.flatnonzero(stream.starts), len(q)]
    return [q[a:b] for a, b in zip(starts[:-1], starts[1:])]


def _rows(raw: bytes, recordings: list[np.ndarray]) -> list[list]:
    """Per hop W/2..W/16: MACs, exact M4 instructions and estimated cycles per hop of both engines, RAM, agreement."""
    from tinydistill import engine
    from tinydistill.engine.check import _oracle_int8
    from tinydistill.engine.reader import read
    from tinydistill.engine.stream_check import run_stream, stream_windows
    from tinydistill.engine.streamability import hops_dividing, plan_stream

    compiled = engine.compile(raw)
    m = read(raw)
    window = compiled.model.input.shape[-2]
    full_macs = sum(c.macs for c in compiled.calls)
    rows = []
    for hop in hops_dividing(window):
        plan = plan_stream(compiled, hop)
        windows = stream_windows(recordings, window, hop)
        expected = _oracle_int8(raw, m, windows.reshape(len(windows), *m.input.shape)).reshape(len(windows), -1)
        with tempfile.TemporaryDirectory(prefix="td-bench-stream-") as tmp:
            streamed = run_stream(raw, hop, recordings, PLATFORM, count=True, build_dir=Path(tmp) / "s")
            full = run_stream(raw, hop, recordings, PLATFORM, count=True, full=True, build_dir=Path(tmp) / "f")
        agree_s = int(np.all(streamed.outputs == expected, axis=1).sum())
        agree_f = int(np.all(full.outputs == expected, axis=1).sum())
        # Per hop: every call but each recording's first (which primes the state from a whole window).
        firsts = np.cumsum([0] + [max(0, (len(r) - window) // hop + 1) for r in recordings])[:-1]
        steps = np.setdiff1d(np.arange(len(windows)), firsts)
        s_ins = float(np.mean(np.array(streamed.instructions)[steps]))
        f_ins = float(np.mean(np.array(full.instructions)[steps]))
        s_cyc = float(np.mean(np.array(streamed.cycles)[steps]))
        f_cyc = float(np.mean(np.array(full.cycles)[steps]))
        prime = float(np.mean(np.array(streamed.instructions)[firsts]))
        rows.append([f"W/{window // hop} = {hop}", f"{full_macs:,}", f"{plan.macs_per_hop():,}",
                     f"{f_ins:,.0f}", f"{s_ins:,.0f}", f"{f_ins / s_ins:.2f}×", f"{f_cyc:,.0f}", f"{s_cyc:,.0f}",
                     f"{prime:,.0f}",
                     f"{compiled.memory.arena_for(True):,}", f"{plan.state_for(True):,}",  # the M4 build's
                     f"{agree_s}/{len(windows)}", f"{agree_f}/{len(windows)}"])
        print(" | ".join(rows[-1]), flush=True)
    return rows


def measure(work: Path, epochs: int) -> tuple[list[list], dict]:
    """The basic-motions streamable student on its run's recorded test stream."""
    from tinydistill import engine
    from tinydistill.deploy.quantize import ensure_int8
    from tinydistill.rundir import open_run

    run_dir = _run(work, epochs)
    tflite = Path(ensure_int8(open_run(run_dir)))
    raw = tflite.read_bytes()
    recordings = _recordings(run_dir, tflite)
    window = engine.compile(raw).model.input.shape[-2]
    return _rows(raw, recordings), {"window": window, "recordings": len(recordings)}


def anchor_recordings(window: int, channels: int, seed: int = 0) -> list[np.ndarray]:
    """Random int8 recordings for the anchor: uneven lengths between 1 3/8 and 3 windows."""
    rng = np.random.default_rng(seed)
    lengths = [window + window * 3 // 8, 2 * window + window // 2, 3 * window][:ANCHOR_RECORDINGS]
    return [rng.integers(-128, 128, (n, channels), dtype=np.int8) for n in lengths]


def measure_anchor() -> tuple[list[list], dict]:
    """The anchor model, unchanged (its padding is valid), on random recordings."""
    from tinydistill import engine

    raw = ANCHOR.read_bytes()
    window, channels = engine.compile(raw).model.input.shape[-2:]
    recordings = anchor_recordings(window, channels)
    return _rows(raw, recordings), {"window": window, "channels": channels,
                                    "lengths": [len(r) for r in recordings]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="folder for the run (reused when it exists)")
    parser.add_argument("--epochs", type=int, default=30, help="student epochs (the figures depend on the shapes)")
    parser.add_argument("--only", choices=("instructions", "anchor", "accuracy"),
                        help="write only this section (instructions: the student's and the anchor's)")
    parser.add_argument("--repeats", type=int, default=5, help="paired seeds per set for the accuracy section")
    parser.add_argument("--jobs", type=int, default=2, help="training processes at a time (accuracy section)")
    parser.add_argument("--cache", type=Path, help="run directories of the accuracy section "
                        "(default: benchmarks/distill_table.py's runs/bench-distill)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the RESULTS.md to write (accuracy section)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="td-streaming-") as tmp:
        work = args.work or Path(tmp)
        if args.only in (None, "accuracy"):
            write_section("streaming-accuracy", "Streamable student family: accuracy against the default family",
                          accuracy(args.repeats, args.jobs, args.cache), path=args.results)
        if args.only == "accuracy":
            return
        if args.only != "anchor":
            _write_instructions(*measure(work, args.epochs))
    _write_anchor(*measure_anchor())


HEADER = ["hop H", "MACs full", "MACs per hop", "M4 instr. full", "M4 instr. per hop", "ratio",
          "M4 cycles full (est.)", "M4 cycles per hop (est.)", "instr. first window (streaming)",
          "full arena B", "streaming state B", "streaming = BUILTIN_REF", "full = BUILTIN_REF"]


def _write_anchor(rows: list[list], anchor: dict) -> None:
    body = (f"The anchor model (`benchmarks/anchors/conv1d_m4.tflite`, TFLM's reference point: Conv1D(8, 5, stride 2) → "
            f"SeparableConv1D(16, 3) → global average → Dense(4) → Softmax, window W = {anchor['window']} × "
            f"{anchor['channels']}). Its convolutions already use valid padding, so it streams as it is: the streamable "
            "variant is the anchor itself, its own int8 weights, no retraining. It has no recorded stream: "
            f"{len(anchor['lengths'])} recordings of uniform random int8 samples (lengths "
            f"{', '.join(map(str, anchor['lengths']))}, seed 0). Engines, counts and agreement as in the `streaming` "
            f"section: QEMU {PLATFORM} (mps2-an386), exact instructions per hop after each recording's first window, "
            "cycles estimated (TRM timings), the streaming state replacing the full engine's arena.\n\n"
            + markdown_table(HEADER, rows))
    write_section("streaming-anchor", "Incremental streaming inference: the anchor model (Cortex-M4)", body)


def _write_instructions(rows: list[list], facts: dict) -> None:
    body = (f"The {DATASET} streamable student (`train --streaming`: Conv1D(24, 5, stride 2) → SeparableConv1D(48, 3), "
            f"valid padding → global average → Dense; window W = {facts['window']} samples) on the run's recorded test "
            f"stream ({facts['recordings']} recordings), int8, in QEMU {PLATFORM} (mps2-an386). *Full*: the full-window "
            "engine (`td_model_invoke`) on every window; *per hop*: the streaming engine (`td_model_stream_step`) on the "
            "hop's new samples only. Instructions are exact (retired instructions between td_bench_begin/end, averaged "
            "over every hop after each recording's first window); cycles are estimates (Cortex-M4 TRM timings over the "
            "same instructions, zero flash wait states). The first window of each recording primes the streaming state "
            "(`td_model_stream_start`, W/H hops). RAM (the Cortex-M4 build's, with the DSP kernels' scratch): the full "
            "engine's planned arena against the streaming engine's "
            "whole state (history rows of every layer, the running sums of the global average, the head's activations, "
            "the convolution scratch), "
            "which replaces the arena. Agreement: every window's int8 output against BUILTIN_REF on that whole window.\n\n"
            + markdown_table(HEADER, rows))
    write_section("streaming", "Incremental streaming inference (full window vs per hop, Cortex-M4)", body)


if __name__ == "__main__":
    main()
