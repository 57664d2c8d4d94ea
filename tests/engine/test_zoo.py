"""The random-model zoo: 32 small Keras models, each converted with a fixed batch of 1 and the
default (dynamic batch) way, generated to C, built once into one program with gcc
-std=c99 -Wall -Wextra -Werror, driven through td_model_invoke (one prefix per model)
and compared byte for byte with BUILTIN_REF on random int8 windows.

Reproduce one failure: `build(seed, 1 or None)` in zoo_models.py gives the Keras model.
"""

from __future__ import annotations

import collections
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import need_tools

from tinydistill import oracle
from tinydistill.engine.check import CFLAGS
from tinydistill.engine.codegen import generate
from tinydistill.engine.reader import read_bytes
from tinydistill.errors import UnsupportedModel
from tinydistill.render import render

from .zoo_models import build, convert

N_MODELS = 32
WINDOWS = 24
VARIANTS = {"fixed": 1, "dynamic": None}


@dataclass
class ZooResult:
    description: str
    opcodes: tuple[str, ...]
    tflite: bytes
    refused: str | None = None
    expected: np.ndarray | None = None
    got: np.ndarray | None = None


def compile_program(src: Path, exe: Path, flags: tuple[str, ...] = ()) -> Path:
    """Every .c in `src` compiled (two at a time) and linked into `exe`, strict C99."""
    objects = src.parent / f"obj{'-'.join(f.strip('-=,') for f in flags)}"
    objects.mkdir(exist_ok=True)
    sources = sorted(src.glob("*.c"))

    def compile_one(c: Path) -> Path:
        obj = objects / (c.stem + ".o")
        subprocess.run(["gcc", *CFLAGS, *flags, "-I", str(src), "-c", str(c), "-o", str(obj)], check=True)
        return obj

    with ThreadPoolExecutor(2) as pool:
        objs = list(pool.map(compile_one, sources))
    subprocess.run(["gcc", *flags, *map(str, objs), "-o", str(exe)], check=True)
    return exe


def harness(src: Path, prefixes: list[str], sizes: list[tuple[int, int]]) -> None:
    (src / "zoo_main.c").write_text(render("engine/multi_check_main.c.j2", prefixes=prefixes,
                                           max_input=max(i for i, _ in sizes), max_output=max(o for _, o in sizes)))


def run_program(exe: Path, k: int, windows: np.ndarray, output_size: int) -> np.ndarray:
    result = subprocess.run([str(exe), str(k)], input=windows.tobytes(), capture_output=True, check=True)
    return np.frombuffer(result.stdout, dtype=np.int8).reshape(len(windows), output_size)


@pytest.fixture(scope="session")
def zoo(tmp_path_factory) -> dict[tuple[int, str], ZooResult]:
    """Every zoo model converted both ways, generated, built into one program and run once."""
    need_tools("gcc")
    root = tmp_path_factory.mktemp("zoo")
    src = root / "src"
    results: dict[tuple[int, str], ZooResult] = {}
    built: list[tuple[tuple[int, str], str]] = []
    for seed in range(N_MODELS):
        for variant, batch in VARIANTS.items():
            model, entry = build(seed, batch)
            tflite = convert(model, entry)
            ir = read_bytes(tflite)
            result = ZooResult(f"{entry.family}: {entry.description}", tuple(op.opcode for op in ir.operators),
                               tflite)
            prefix = f"zoo{seed:02d}_{variant}"
            try:
                generate(tflite, src, prefix=prefix)
            except UnsupportedModel as exc:  # reported by that model's test
                result.refused = str(exc)
            else:
                built.append(((seed, variant), prefix))
            results[(seed, variant)] = result
    models = [read_bytes(results[key].tflite) for key, _ in built]
    harness(src, [p for _, p in built], [(m.input.size, m.output.size) for m in models])
    exe = compile_program(src, root / "zoo")
    for k, ((key, _), m) in enumerate(zip(built, models)):
        windows = np.random.default_rng([23, key[0]]).integers(-128, 128, (WINDOWS, *m.input.shape), dtype=np.int8)
        results[key].got = run_program(exe, k, windows, m.output.size)
        results[key].expected = oracle.run(results[key].tflite, windows).reshape(WINDOWS, -1)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("seed", range(N_MODELS))
def test_zoo_model_is_bit_exact(zoo, seed, variant):
    r = zoo[(seed, variant)]
    assert r.refused is None, f"zoo {seed} ({variant}) {r.description}: {r.refused}"
    same = np.all(r.got == r.expected, axis=1)
    assert same.all(), (f"zoo {seed} ({variant}) {r.description}: {int(same.sum())}/{len(same)} windows "
                        f"bit-exact; first mismatch window {int(np.argmin(same))}")


@pytest.mark.slow
def test_zoo_covers_the_op_set_and_the_dynamic_batch_patterns(zoo):
    """The zoo is only a proof if it meets every op of part 2 and both dynamic-batch patterns."""
    fixed = collections.Counter(op for (_, v), r in zoo.items() if v == "fixed" for op in r.opcodes)
    dynamic = collections.Counter(op for (_, v), r in zoo.items() if v == "dynamic" for op in r.opcodes)
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MEAN", "AVERAGE_POOL_2D", "MAX_POOL_2D",
               "REDUCE_MAX", "SOFTMAX", "LOGISTIC", "TANH", "ADD", "SUB", "MUL", "CONCATENATION", "PAD",
               "STRIDED_SLICE", "SPLIT", "UNPACK", "RELU"):
        assert fixed[op] + dynamic[op] > 0, f"no zoo model has {op}"
    for op in ("SHAPE", "PACK", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"):
        assert dynamic[op] > 0 and fixed[op] == 0, op
