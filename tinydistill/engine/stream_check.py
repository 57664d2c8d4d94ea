"""Build the streaming C on the host and compare every window of a stream with the reference interpreter."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import atomic
from ..errors import TinyDistillError
from .check import CheckReport, _oracle_int8, compare
from .codegen import DEFAULT_PREFIX, generate
from .compiled import compile
from .stream_codegen import render_stream_sources, runtime_files, stream_main_source
from .streamability import plan_stream


def generate_stream(model, out_dir: Path | str, hop: int, prefix: str = DEFAULT_PREFIX) -> list[Path]:
    """Write the full-window C (generate()) plus the streaming files at `hop`; raises NotStreamable."""
    compiled = compile(model)
    sources = render_stream_sources(compiled, plan_stream(compiled, hop), prefix)
    written = generate(model, out_dir, prefix)
    written += [atomic.write_bytes(Path(out_dir) / f.name, f.read_bytes()) for f in runtime_files()]
    return written + [atomic.write_text(Path(out_dir) / name, text) for name, text in sorted(sources.items())]


def stream_windows(recordings: list[np.ndarray], window: int, hop: int) -> np.ndarray:
    """Every window the stream produces: per recording, starts 0, hop, 2·hop... while a whole window fits."""
    out = [r[s:s + window] for r in recordings for s in range(0, len(r) - window + 1, hop)]
    channels = recordings[0].shape[1] if recordings else 0
    return np.stack(out) if out else np.zeros((0, window, channels), np.int8)


def random_recordings(plan, seed: int = 0, n: int = 4) -> list[np.ndarray]:
    """Random int8 recordings of uneven lengths (one window up to several hops past three windows)."""
    rng = np.random.default_rng(seed)
    lengths = [plan.window + int(rng.integers(0, 3 * plan.window + plan.hop)) for _ in range(n)]
    return [rng.integers(-128, 128, (k, plan.in_channels), dtype=np.int8) for k in lengths]


def encode_recordings(recordings: list[np.ndarray]) -> bytes:
    """The harness's stdin: per recording an int32 sample count, then its int8 samples."""
    return b"".join(np.int32(len(r)).astype("<i4").tobytes() + np.ascontiguousarray(r, np.int8).tobytes()
                    for r in recordings)


def _sources(src: Path, compiled) -> list[Path]:
    """The generated sources, the harness and only the kernel sources the model calls (fewer compiles)."""
    names = {"model.c", "model_data.c", "model_stream.c", "td_check_main.c", *(f.name for f in runtime_files()
                                                                                if f.suffix == ".c")}
    for call in compiled.calls:
        names |= {call.kernel + ".c", call.header[:-2] + ".c"}
    return sorted(p for p in src.glob("*.c") if p.name in names)


@dataclass(frozen=True)
class StreamRun:
    """A stream's outputs ([windows, output size] int8) and, in QEMU when counted, instructions per call."""

    outputs: np.ndarray
    instructions: tuple[int, ...] = ()
    cycles: tuple[int, ...] = ()


def run_stream(model: bytes, hop: int, recordings: list[np.ndarray], platform: str = "host", full: bool = False,
               count: bool = False, build_dir: Path | str | None = None,
               extra_flags: tuple[str, ...] = ()) -> StreamRun:
    """Build the streaming harness for `platform` and run it on `recordings`: the streaming engine, or with
    `full` the full-window engine on every window. `count` gives exact instructions per call (QEMU)."""
    from .. import emu

    compiled = compile(model)
    plan = plan_stream(compiled, hop)
    recordings = [np.asarray(r, np.int8).reshape(len(r), plan.in_channels) for r in recordings]
    with tempfile.TemporaryDirectory(prefix="td-stream-") as tmp:
        root = Path(build_dir) if build_dir is not None else Path(tmp)
        src = root / "src"
        generate_stream(model, src, hop)
        atomic.write_text(src / "td_check_main.c", stream_main_source())
        atomic.write_bytes(root / "stream.bin", encode_recordings(recordings))
        exe = emu.build(platform, _sources(src, compiled), include_dirs=[src], out=root / "stream_check.elf",
                        extra_cflags=extra_flags)
        cycles = count and emu.get(platform).cycle_model is not None
        result = emu.run(platform, exe, args=["stream.bin", "full" if full else "stream"], cwd=root,
                         timeout=600, count_instructions=count, estimate_cycles=cycles)
    if not result.ok:
        raise TinyDistillError(f"the streaming harness {result.describe()}: {result.stderr.strip()[:500]}")
    rows = [[int(v) for v in line.split()] for line in result.stdout.splitlines() if line.strip()]
    outputs = np.array(rows, dtype=np.int8).reshape(len(rows), -1)
    return StreamRun(outputs, tuple(result.regions), tuple(result.region_cycles))


def check_stream(model: bytes, hop: int, recordings: list[np.ndarray], platform: str = "host",
                 build_dir: Path | str | None = None, extra_flags: tuple[str, ...] = ()) -> CheckReport:
    """Stream `recordings` ([n_i, C] int8 each) through the generated streaming C on `platform`; compare each
    window's output with BUILTIN_REF on that whole window. Raises NotStreamable when the model cannot stream."""
    from .reader import read

    m = read(model)
    plan = plan_stream(compile(model), hop)
    recordings = [np.asarray(r, np.int8).reshape(len(r), plan.in_channels) for r in recordings]
    windows = stream_windows(recordings, plan.window, hop)
    got = run_stream(model, hop, recordings, platform, build_dir=build_dir, extra_flags=extra_flags).outputs
    if len(got) != len(windows):
        raise TinyDistillError(f"the streaming harness printed {len(got)} outputs for {len(windows)} windows")
    expected = _oracle_int8(model, m, windows.reshape(len(windows), *m.input.shape))
    return compare(m, got, expected)


__all__ = ["StreamRun", "check_stream", "generate_stream", "random_recordings", "run_stream", "stream_windows", "encode_recordings"]
