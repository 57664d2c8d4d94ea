"""Build and run many generated models in one host program (the zoo and the sanitizer run).

Every model is generated into one flat folder with its own prefix, compiled once with
gcc -std=c99 -Wall -Wextra -Werror (two files at a time) and linked with a harness
(`prog K` runs model K on the windows on stdin), so 64 models cost one build.
"""

from __future__ import annotations

import collections
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
SANITIZE = ("-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all")


@dataclass
class ZooResult:
    """One converted zoo model, and after `run_zoo` its outputs from the C and from BUILTIN_REF."""

    description: str
    opcodes: tuple[str, ...]
    tflite: bytes
    refused: str | None = None
    expected: np.ndarray | None = None
    got: np.ndarray | None = None


def compile_program(src: Path, exe: Path, flags: tuple[str, ...] = ()) -> Path:
    """Every .c in `src` compiled (two at a time) and linked into `exe`, strict C99."""
    objects = exe.parent / f"{exe.name}-obj"
    objects.mkdir(exist_ok=True)

    def compile_one(c: Path) -> Path:
        obj = objects / (c.stem + ".o")
        subprocess.run(["gcc", *CFLAGS, *flags, "-I", str(src), "-c", str(c), "-o", str(obj)], check=True)
        return obj

    with ThreadPoolExecutor(2) as pool:
        objs = list(pool.map(compile_one, sorted(src.glob("*.c"))))
    subprocess.run(["gcc", *flags, *map(str, objs), "-o", str(exe)], check=True)
    return exe


def run_program(exe: Path, k: int, windows: np.ndarray, output_size: int) -> np.ndarray:
    result = subprocess.run([str(exe), str(k)], input=windows.tobytes(), capture_output=True, check=True)
    return np.frombuffer(result.stdout, dtype=np.int8).reshape(len(windows), output_size)


def convert_zoo(n_models: int = N_MODELS) -> dict[tuple[int, str], ZooResult]:
    """Every zoo model converted both ways (the slow part: about a second per conversion)."""
    results = {}
    for seed in range(n_models):
        for variant, batch in VARIANTS.items():
            model, entry = build(seed, batch)
            tflite = convert(model, entry)
            ops = tuple(op.opcode for op in read_bytes(tflite).operators)
            results[(seed, variant)] = ZooResult(f"{entry.family}: {entry.description}", ops, tflite)
    return results


def generate_sources(results: dict[tuple[int, str], ZooResult], src: Path) -> list[tuple[int, str]]:
    """Each model's C (prefix zooNN_variant) and the harness in `src`; the keys in harness order.

    A model the engine refuses is marked (ZooResult.refused) and left out.
    """
    built = []
    for key, result in results.items():
        prefix = f"zoo{key[0]:02d}_{key[1]}"
        try:
            generate(result.tflite, src, prefix=prefix)
        except UnsupportedModel as exc:  # reported by that model's test
            result.refused = str(exc)
        else:
            built.append((key, prefix))
    (src / "zoo_main.c").write_text(render("engine/multi_check_main.c.j2", prefixes=[p for _, p in built]))
    return [key for key, _ in built]


def windows_for(key: tuple[int, str], tflite: bytes, n: int) -> np.ndarray:
    m = read_bytes(tflite)
    return np.random.default_rng([23, key[0]]).integers(-128, 128, (n, *m.input.shape), dtype=np.int8)


def run_zoo(results: dict[tuple[int, str], ZooResult], root: Path, flags: tuple[str, ...] = (),
            windows: int = WINDOWS) -> dict[tuple[int, str], ZooResult]:
    """Generate, build into one host program with `flags`, run on random windows and run the oracle."""
    keys = generate_sources(results, root / "src")
    exe = compile_program(root / "src", root / "zoo", flags)
    for k, key in enumerate(keys):
        x = windows_for(key, results[key].tflite, windows)
        results[key].got = run_program(exe, k, x, read_bytes(results[key].tflite).output.size)
        results[key].expected = oracle.run(results[key].tflite, x).reshape(windows, -1)
    return results


def covering_subset(results: dict[tuple[int, str], ZooResult], limit: int) -> list[tuple[int, str]]:
    """At most `limit` zoo models that together meet every opcode the zoo meets (greedy)."""
    wanted = collections.Counter(op for r in results.values() for op in r.opcodes)
    chosen: list[tuple[int, str]] = []
    missing = set(wanted)
    while missing and len(chosen) < limit:
        key = max(sorted(results), key=lambda k: len(missing & set(results[k].opcodes)))
        chosen.append(key)
        missing -= set(results[key].opcodes)
    return chosen
