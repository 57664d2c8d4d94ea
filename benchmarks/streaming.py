"""Incremental streaming inference against the full-window engine, on an emulated Cortex-M4.

Trains (once, into --work) the basic-motions streamable student (`train --streaming`),
quantizes it, and streams the run's recorded test stream through the generated C in QEMU
(mps2-an386) at H = W/2, W/4, W/8, W/16: the full-window engine (`td_model_invoke` on every
window) and the streaming engine (`td_model_stream_step` on each hop's new samples). Exact
instructions per call (QEMU's instruction counter between td_bench_begin/end) and estimated
M4 cycles (TRM timings over the retired instructions), MACs per hop, the RAM of each engine
(the full engine's planned arena; the streaming state) and the agreement of every window's
output with BUILTIN_REF on that whole window. Results go to the `streaming` section of
benchmarks/RESULTS.md.

    python -m benchmarks.streaming [--work DIR] [--epochs N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from benchmarks.results import markdown_table, write_section  # noqa: E402

DATASET = "basic-motions"
ACCURACY_DATASETS = ("basic-motions", "mnist1d")
PLATFORM = "cortex-m4"


def _run(work: Path, epochs: int, streaming: bool = True, dataset: str = DATASET) -> Path:
    """The run directory of `dataset`'s streamable (or default) student family, trained once."""
    from tinydistill.training.train import TrainConfig, train

    out = work / f"{dataset}-{'streaming' if streaming else 'default'}"
    if not (out / "metrics.json").is_file():
        train(TrainConfig(dataset=dataset, streaming=streaming, epochs=epochs, teacher_epochs=max(1, epochs // 2),
                          seed=0), out, progress=False)
    return out


def accuracy(work: Path, epochs: int) -> list[list]:
    """Test accuracy (float and int8) of the default and the streamable student family, same recipe and seed."""
    from tinydistill.deploy.quantize import quantize_run
    from tinydistill.rundir import open_run

    rows = []
    for dataset in ACCURACY_DATASETS:
        for streaming in (False, True):
            run_dir = _run(work, epochs, streaming, dataset)
            report = quantize_run(run_dir)
            m = open_run(run_dir).metrics
            rows.append([dataset, "streamable (valid)" if streaming else "default (same)",
                         f"{m['student']['params']:,}", f"{100 * m['student']['accuracy']:.1f}",
                         f"{100 * m['student_int8']['accuracy']:.1f}", f"{100 * m['baseline']['accuracy']:.1f}"])
            print(" | ".join(rows[-1]), flush=True)
            del report
    return rows


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


def measure(work: Path, epochs: int) -> tuple[list[list], dict]:
    from tinydistill import engine
    from tinydistill.deploy.quantize import ensure_int8
    from tinydistill.engine.check import _oracle_int8
    from tinydistill.engine.reader import read
    from tinydistill.engine.stream_check import run_stream, stream_windows
    from tinydistill.engine.streamability import hops_dividing, plan_stream
    from tinydistill.rundir import open_run

    run_dir = _run(work, epochs)
    tflite = Path(ensure_int8(open_run(run_dir)))
    raw = tflite.read_bytes()
    compiled = engine.compile(raw)
    m = read(raw)
    window = compiled.model.input.shape[-2]
    recordings = _recordings(run_dir, tflite)
    full_macs = sum(c.macs for c in compiled.calls)
    rows, facts = [], {"window": window, "arena": compiled.memory.arena_size, "full_macs": full_macs,
                       "recordings": len(recordings)}
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
                     f"{prime:,.0f}", f"{compiled.memory.arena_size:,}", f"{plan.state_bytes:,}",
                     f"{agree_s}/{len(windows)}", f"{agree_f}/{len(windows)}"])
        print(" | ".join(rows[-1]), flush=True)
    return rows, facts


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="folder for the run (reused when it exists)")
    parser.add_argument("--epochs", type=int, default=30, help="student epochs (the figures depend on the shapes)")
    parser.add_argument("--only", choices=("instructions", "accuracy"), help="write only this section")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="td-streaming-") as tmp:
        work = args.work or Path(tmp)
        if args.only != "instructions":
            _write_accuracy(accuracy(work, args.epochs), args.epochs)
        if args.only == "accuracy":
            return
        rows, facts = measure(work, args.epochs)
    header = ["hop H", "MACs full", "MACs per hop", "M4 instr. full", "M4 instr. per hop", "ratio",
              "M4 cycles full (est.)", "M4 cycles per hop (est.)", "instr. first window (streaming)",
              "full arena B", "streaming state B", "streaming = BUILTIN_REF", "full = BUILTIN_REF"]
    body = (f"The {DATASET} streamable student (`train --streaming`: Conv1D(24, 5, stride 2) → SeparableConv1D(48, 3), "
            f"valid padding → global average → Dense; window W = {facts['window']} samples) on the run's recorded test "
            f"stream ({facts['recordings']} recordings), int8, in QEMU {PLATFORM} (mps2-an386). *Full*: the full-window "
            "engine (`td_model_invoke`) on every window; *per hop*: the streaming engine (`td_model_stream_step`) on the "
            "hop's new samples only. Instructions are exact (retired instructions between td_bench_begin/end, averaged "
            "over every hop after each recording's first window); cycles are estimates (Cortex-M4 TRM timings over the "
            "same instructions, zero flash wait states). The first window of each recording primes the streaming state "
            "(`td_model_stream_start`, W/H hops). RAM: the full engine's planned arena against the streaming engine's "
            "whole state (history rows of every layer, the running sums of the global average, the head's activations), "
            "which replaces the arena. Agreement: every window's int8 output against BUILTIN_REF on that whole window.\n\n"
            + markdown_table(header, rows))
    write_section("streaming", "Incremental streaming inference (full window vs per hop, Cortex-M4)", body)


def _write_accuracy(rows: list[list], epochs: int) -> None:
    header = ["dataset", "student family (padding)", "params", "float acc. %", "int8 acc. %", "baseline (no KD) %"]
    body = (f"Test-split accuracy of the distilled student of each family, trained with the same short recipe "
            f"(`--epochs {epochs}`, teacher epochs {max(1, epochs // 2)}, seed 0, T and α chosen on validation), one "
            "seed: a difference of a point or two is within the seed-to-seed spread of these small test splits. "
            "*default*: `classify_student` (same padding); *streamable*: `train --streaming` "
            "(`classify_student_streaming`: the same layers with valid padding).\n\n" + markdown_table(header, rows))
    write_section("streaming-accuracy", "Streamable student family: accuracy against the default family", body)


if __name__ == "__main__":
    main()
