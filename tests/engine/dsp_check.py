"""Shared by the kernel-path tests: convert small models, build them as one program, and compare
every model's outputs with BUILTIN_REF (natively or in QEMU)."""

from pathlib import Path

import numpy as np
from conftest import need_tools

from tinydistill import emu, oracle
from tinydistill.engine.codegen import generate
from tinydistill.render import render


def convert(specs: dict) -> dict[str, bytes]:
    """name -> int8 TFLite of each (input shape, layers) spec, seeded by its position."""
    from .builders import convert_int8, representative, sequential

    out = {}
    for seed, (name, (shape, layers)) in enumerate(specs.items()):
        model = sequential(shape, layers if isinstance(layers, list) else [layers], seed=seed)
        out[name] = convert_int8(model, representative(shape, seed=seed) * 2.0)
    return out


def program(models: dict[str, bytes], src: Path, prefix: str) -> Path:
    """Every model's engine in `src` (prefixed `prefix_NAME`) and a main that runs model k."""
    for name, tflite in models.items():
        generate(tflite, src, prefix=f"{prefix}_{name}")
    (src / "main.c").write_text(render("engine/multi_check_main.c.j2", prefixes=[f"{prefix}_{n}" for n in models]))
    return src


def assert_bit_exact(models: dict[str, bytes], src: Path, tmp_path: Path, platform: str, windows: int,
                     extremes: bool = False, inputs=None) -> None:
    """Build `src` for `platform` and check every model on `windows` random windows; with `extremes` the
    first two windows are all -128 and all 127. `inputs(k, shape)`, when given, makes model k's windows."""
    plat = emu.get(platform)
    need_tools(plat.cc, *((plat.qemu,) if plat.emulated else ()))
    elf = emu.build(platform, sorted(src.glob("*.c")), include_dirs=[src], out=tmp_path / "check.elf")
    for k, (name, tflite) in enumerate(models.items()):
        shape = oracle.interpreter(tflite).get_input_details()[0]["shape"]
        if inputs is not None:
            x = inputs(k, shape)
        else:
            x = np.random.default_rng(k).integers(-128, 128, (windows, *shape), dtype=np.int8)
            if extremes:
                x[0], x[1] = -128, 127
        (tmp_path / f"in{k}.bin").write_bytes(x.tobytes())
        result = emu.run(platform, elf, args=[str(k), f"in{k}.bin"], cwd=tmp_path, timeout=120)
        assert result.returncode == 0, result
        got = np.array([[int(v) for v in line.split()] for line in result.stdout.strip().splitlines()])
        expected = oracle.run(tflite, x).reshape(len(x), -1)
        assert np.array_equal(got, expected), f"{name} differs from BUILTIN_REF on {platform}"
