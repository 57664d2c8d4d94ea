"""Build the generated C on the host and compare it with the reference interpreter."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import atomic, oracle
from ..emu.build import WARNINGS, build
from ..errors import TinyDistillError
from .codegen import DEFAULT_PREFIX, generate, main_source
from .compiled import compile
from .fold import fold
from .ir import Model
from .reader import read

CFLAGS = (*WARNINGS, "-O2")  # what build() compiles the host check with


@dataclass(frozen=True)
class Mismatch:
    """The first window whose output differs."""

    window: int
    expected: tuple[int, ...]
    got: tuple[int, ...]


@dataclass(frozen=True)
class CheckReport:
    n_exact: int
    n_total: int
    first_mismatch: Mismatch | None

    @property
    def ok(self) -> bool:
        return self.n_exact == self.n_total

    def summary(self) -> str:
        line = f"{self.n_exact}/{self.n_total} windows bit-exact"
        if self.first_mismatch:
            m = self.first_mismatch
            line += f"; first mismatch in window {m.window}: expected {list(m.expected)}, got {list(m.got)}"
        return line


def build_host(src_dir: Path, exe: Path, prefix: str = DEFAULT_PREFIX, extra_flags: tuple[str, ...] = ()) -> Path:
    """Compile every .c in `src_dir` plus a stdin/stdout harness into `exe` (emu.build for the host)."""
    atomic.write_text(src_dir / "td_check_main.c", main_source(prefix))
    return build("host", sorted(src_dir.glob("*.c")), include_dirs=[src_dir], out=exe, extra_cflags=extra_flags)


def run_host(exe: Path, inputs: np.ndarray, output_size: int) -> np.ndarray:
    """Run the harness on int8 windows; returns [N, output_size] int8."""
    data = np.ascontiguousarray(inputs, dtype=np.int8).tobytes()
    result = subprocess.run([str(exe)], input=data, capture_output=True)
    if result.returncode != 0:
        raise TinyDistillError(f"the generated model failed (exit {result.returncode}): "
                               f"{result.stderr.decode(errors='replace')}")
    return np.frombuffer(result.stdout, dtype=np.int8).reshape(len(inputs), output_size)


def random_inputs(model: Model, n_windows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(-128, 128, size=(n_windows, *model.input.shape), dtype=np.int8)


def compare(model: Model, got: np.ndarray, expected: np.ndarray) -> CheckReport:
    got = got.reshape(len(got), -1)
    expected = expected.reshape(len(expected), -1)
    same = np.all(got == expected, axis=1)
    first = None
    if not same.all():
        i = int(np.argmin(same))
        first = Mismatch(i, tuple(int(v) for v in expected[i]), tuple(int(v) for v in got[i]))
    return CheckReport(int(same.sum()), len(same), first)


def check_model(model: Path | str | bytes | Model, n_windows: int = 100, seed: int = 0,
                build_dir: Path | str | None = None, inputs: np.ndarray | None = None) -> CheckReport:
    """Generate, build with gcc and run `model` on random int8 windows (or `inputs`); compare with BUILTIN_REF."""
    raw = model if isinstance(model, (bytes, bytearray)) else None
    m = read(model)
    if raw is None and not isinstance(model, Model):
        raw = Path(model).read_bytes()
    if raw is None:
        raise TinyDistillError("check_model needs the model's bytes or path, not only its IR")
    compile(raw)  # verified before anything is built or run
    x = random_inputs(m, n_windows, seed) if inputs is None else np.asarray(inputs, dtype=np.int8)
    with tempfile.TemporaryDirectory(prefix="td-check-") as tmp:
        root = Path(build_dir) if build_dir is not None else Path(tmp)
        src = root / "src"
        generate(raw, src)
        exe = build_host(src, root / ("model_check.exe" if os.name == "nt" else "model_check"))
        got = run_host(exe, x, m.output.size)
    expected = _oracle_int8(bytes(raw), m, x)
    return compare(m, got, expected)


def _oracle_int8(raw: bytes, m: Model, x: np.ndarray) -> np.ndarray:
    """BUILTIN_REF's outputs for int8 windows; a float-I/O model (its boundary QUANTIZE /
    DEQUANTIZE are stripped) gets the dequantized windows and its float outputs are requantized,
    which reproduces its int8 tensors exactly."""
    folded = fold(m)
    inp, out = folded.input, folded.output
    if m.input.dtype == "float32":
        x = (np.float32(inp.scale) * (x.astype(np.float32) - np.float32(inp.zero_point))).astype(np.float32)
    try:
        y = oracle.run(raw, x)
    except (ValueError, RuntimeError) as exc:  # LiteRT's refusals of a model it cannot prepare
        raise TinyDistillError(f"the reference interpreter refuses this model ({str(exc).strip()[:300]}); "
                               "nothing to compare the generated C with: convert the model again") from None
    if m.output.dtype == "float32":
        y = np.clip(np.round(y / np.float32(out.scale)) + out.zero_point, -128, 127).astype(np.int8)
    return y
