"""The arithmetic helpers firmware/platform/xtensa_libgcc.c supplies for the lx106 (Debian's
libgcc lacks them): every result bit-exact with the host's IEEE 754 hardware (numpy) and
Python's integers, on random bit patterns, realistic values and the special cases."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from conftest import need_tools
from tinydistill import emu

C = Path(__file__).resolve().parent / "c"
WORDS_OUT = 25


def _operands() -> np.ndarray:
    """Records of four uint32 words: random bits, realistic floats and doubles, special values."""
    rng = np.random.default_rng(7)
    random_bits = rng.integers(0, 2**32, size=(3000, 4), dtype=np.uint64).astype(np.uint32)
    # Realistic float32 pairs: similar magnitudes (rounding, cancellation) and far apart.
    x = (rng.normal(size=3000) * 10.0 ** rng.uniform(-6, 6, size=3000)).astype(np.float32)
    near = (x * (1 + rng.normal(size=3000) * 1e-5) * rng.choice([-1, 1], size=3000)).astype(np.float32)
    far = (rng.normal(size=3000) * 10.0 ** rng.uniform(-30, 30, size=3000)).astype(np.float32)
    b = np.where(rng.random(3000) < 0.5, near, far)
    xd = rng.normal(size=3000) * 10.0 ** rng.uniform(-300, 300, size=3000)
    yd = rng.normal(size=3000) * 10.0 ** rng.uniform(-300, 300, size=3000)
    realistic = np.stack([x.view(np.uint32), b.view(np.uint32),
                          yd.view(np.uint64).astype(np.uint32), (yd.view(np.uint64) >> 32).astype(np.uint32)], 1)
    realistic_doubles = np.stack([xd.view(np.uint64).astype(np.uint32), (xd.view(np.uint64) >> 32).astype(np.uint32),
                                  yd.view(np.uint64).astype(np.uint32), (yd.view(np.uint64) >> 32).astype(np.uint32)],
                                 1)
    f32_specials = np.array([0.0, -0.0, 1.0, -1.0, 1.5, np.inf, -np.inf, np.nan, 3.4028235e38, -3.4028235e38,
                             1.1754944e-38, 1e-45, -1e-45, 1.1754942e-38, 16777216.0, 16777217.0, 0.1, 3.0],
                            dtype=np.float32).view(np.uint32)
    f64_specials = np.array([0.0, -0.0, 1.0, -3.0, np.inf, -np.inf, np.nan, 1.7976931348623157e308, 2.2250738585072014e-308,
                             5e-324, 2.2250738585072009e-308, 0.1, 1e300, 1e-300, 3.4028235677973366e38,
                             1.401298464324817e-45, 7.006492321624085e-46], dtype=np.float64).view(np.uint64)
    ints = np.array([0, 1, 2, 3, 7, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 10, 1000, 65535,
                     65536], dtype=np.uint32)
    rows = []
    for i, fa in enumerate(f32_specials):
        for j, fb in enumerate(f32_specials):
            da, db = f64_specials[i % len(f64_specials)], f64_specials[j % len(f64_specials)]
            rows.append([fa, fb, db & 0xFFFFFFFF, db >> 32])
            rows.append([da & 0xFFFFFFFF, da >> 32, db & 0xFFFFFFFF, db >> 32])
    for ia in ints:
        for ib in ints:
            rows.append([ia, ib, ib, ia])
    specials = np.array(rows, dtype=np.uint64).astype(np.uint32)
    return np.concatenate([random_bits, realistic, realistic_doubles, specials]).astype("<u4")


def _same_float(got: np.ndarray, want: np.ndarray, kind) -> np.ndarray:
    """Bit equality, any NaN matching any NaN."""
    g, w = got.view(kind), want.view(kind)
    return (got == want) | (np.isnan(g) & np.isnan(w))


def _expected(ops: np.ndarray) -> dict[str, np.ndarray]:
    a, b, c, d = (ops[:, i] for i in range(4))
    fa, fb = a.view(np.float32), b.view(np.float32)
    x = (a.astype(np.uint64) | (b.astype(np.uint64) << 32)).view(np.float64)
    y = (c.astype(np.uint64) | (d.astype(np.uint64) << 32)).view(np.float64)
    with np.errstate(all="ignore"):
        return {
            "add": (fa + fb).view(np.uint32), "sub": (fa - fb).view(np.uint32), "mul": (fa * fb).view(np.uint32),
            "i2f": a.view(np.int32).astype(np.float32).view(np.uint32),
            "u2f": a.astype(np.float32).view(np.uint32),
            "d2f": x.astype(np.float32).view(np.uint32),
            "dmul": (x * y).view(np.uint64), "ddiv": (x / y).view(np.uint64),
            "i2d": c.view(np.int32).astype(np.float64).view(np.uint64), "u2d": c.astype(np.float64).view(np.uint64),
        }


@pytest.mark.parametrize("name", ["host", "xtensa-lx106"])
def test_arithmetic_helpers_are_exact(name, tmp_path):
    plat = emu.PLATFORMS[name]
    need_tools(plat.cc, *([plat.qemu] if plat.qemu else []))
    ops = _operands()
    (tmp_path / "in.bin").write_bytes(ops.tobytes())
    elf = emu.build(plat, [C / "arith.c"], out=tmp_path / "arith.elf")
    run = emu.run(plat, elf, args=["in.bin", "out.bin"], cwd=tmp_path, timeout=120)
    assert run.ok, run.stdout + run.stderr
    assert run.stdout.strip() == f"records {len(ops)}"
    out = np.frombuffer((tmp_path / "out.bin").read_bytes(), dtype="<u4").reshape(len(ops), WORDS_OUT)
    want = _expected(ops)

    def w64(i: int) -> np.ndarray:
        return out[:, i].astype(np.uint64) | (out[:, i + 1].astype(np.uint64) << 32)

    got = {"add": out[:, 0], "sub": out[:, 1], "mul": out[:, 2], "i2f": out[:, 3], "u2f": out[:, 4],
           "d2f": out[:, 5], "dmul": w64(6), "ddiv": w64(8), "i2d": w64(10), "u2d": w64(12)}
    for key, value in got.items():
        kind = np.float32 if value.dtype == np.uint32 else np.float64
        bad = np.flatnonzero(~_same_float(value, want[key], kind))
        assert bad.size == 0, (f"{key}: {bad.size} of {len(ops)} differ, first operands "
                               f"{[hex(int(v)) for v in ops[bad[0]]]}: got {int(value[bad[0]]):#x}, "
                               f"want {int(want[key][bad[0]]):#x}")
    # Integer division and 64-bit products against Python's integers.
    for i, (a, b, c, d) in enumerate(ops.tolist()):
        sa, sb = struct.unpack("<ii", struct.pack("<II", a, b))
        X, Y = a | b << 32, c | d << 32
        expect = [a // b if b else 0, a % b if b else 0,
                  (abs(sa) // abs(sb) * (1 if (sa < 0) == (sb < 0) else -1)) & 0xFFFFFFFF
                  if b and not (sa == -2**31 and sb == -1) else 0]
        expect64 = [(X * Y) & (2**64 - 1), X // Y if Y else 0, X % Y if Y else 0, (sa * sb) & (2**64 - 1)]
        row = out[i].tolist()
        got64 = [row[j] | row[j + 1] << 32 for j in (17, 19, 21, 23)]
        assert row[14:17] == expect and got64 == expect64, (i, [hex(v) for v in (a, b, c, d)])
