"""Build the streaming C on the host and compare every window of a stream with the reference interpreter."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .. import atomic
from ..emu.build import build
from ..errors import TinyDistillError
from .check import CheckReport, _oracle_int8, compare
from .codegen import DEFAULT_PREFIX, generate
from .compiled import compile
from .stream_codegen import render_stream_sources, stream_main_source
from .streamability import plan_stream


def generate_stream(model, out_dir: Path | str, hop: int, prefix: str = DEFAULT_PREFIX) -> list[Path]:
    """Write the full-window C (generate()) plus the streaming files at `hop`; raises NotStreamable."""
    compiled = compile(model)
    sources = render_stream_sources(compiled, plan_stream(compiled, hop), prefix)
    written = generate(model, out_dir, prefix)
    return written + [atomic.write_text(Path(out_dir) / name, text) for name, text in sorted(sources.items())]


def stream_windows(recordings: list[np.ndarray], window: int, hop: int) -> np.ndarray:
    """Every window the stream produces: per recording, starts 0, hop, 2·hop... while a whole window fits."""
    out = [r[s:s + window] for r in recordings for s in range(0, len(r) - window + 1, hop)]
    channels = recordings[0].shape[1] if recordings else 0
    return np.stack(out) if out else np.zeros((0, window, channels), np.int8)


def encode_recordings(recordings: list[np.ndarray]) -> bytes:
    """The harness's stdin: per recording an int32 sample count, then its int8 samples."""
    return b"".join(np.int32(len(r)).astype("<i4").tobytes() + np.ascontiguousarray(r, np.int8).tobytes()
                    for r in recordings)


def check_stream(model: bytes, hop: int, recordings: list[np.ndarray], build_dir: Path | str | None = None,
                 extra_flags: tuple[str, ...] = ()) -> CheckReport:
    """Stream `recordings` ([n_i, C] int8 each) through the generated streaming C; compare each window's
    output with BUILTIN_REF on that whole window. Raises NotStreamable when the model cannot stream."""
    from .reader import read

    m = read(model)
    plan = plan_stream(compile(model), hop)
    recordings = [np.asarray(r, np.int8).reshape(len(r), plan.in_channels) for r in recordings]
    windows = stream_windows(recordings, plan.window, hop)
    with tempfile.TemporaryDirectory(prefix="td-stream-") as tmp:
        root = Path(build_dir) if build_dir is not None else Path(tmp)
        src = root / "src"
        generate_stream(model, src, hop)
        atomic.write_text(src / "td_check_main.c", stream_main_source())
        exe = build("host", sorted(src.glob("*.c")), include_dirs=[src], out=root / "stream_check",
                    extra_cflags=extra_flags)
        result = subprocess.run([str(exe)], input=encode_recordings(recordings), capture_output=True)
    if result.returncode != 0:
        raise TinyDistillError(f"the streaming model failed (exit {result.returncode}): "
                               f"{result.stderr.decode(errors='replace')}")
    got = np.frombuffer(result.stdout, dtype=np.int8).reshape(len(windows), m.output.size)
    expected = _oracle_int8(model, m, windows.reshape(len(windows), *m.input.shape))
    return compare(m, got, expected)


__all__ = ["check_stream", "generate_stream", "stream_windows", "encode_recordings"]
