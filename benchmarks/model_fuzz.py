"""Seeded model mutants and the campaign that runs them through the CLI, the sanitizers and the oracle.

Each mutant of a seed model (byte-level: truncation, bit flips, overwrites; structure-aware:
edits of shapes, scales, zero points, tensor/buffer/opcode indices and options, re-packed with
the TFLite schema) goes through `tinydistill codegen` and `tinydistill budget` (the CLI's main
entry, in-process). Either both refuse it (exit 2) or both accept it; an exception escaping
main is a traceback. The accepted ones are generated in the checking layout (one global per
planned buffer), built into one program under ASan + UBSan (no recovery) with exact-size
input and output buffers, run on random windows, and compared with BUILTIN_REF wherever the
interpreter accepts the mutant (the interpreter runs in a child process: a corrupt model
must not take the campaign down with it).

Used by tests/engine/test_fuzz.py (a bounded campaign) and benchmarks/fuzz_models.py (the long one).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SANITIZE = ("-O0", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all")
BYTE_KINDS = ("truncate", "bitflip", "overwrite")
STRUCT_KINDS = ("shape", "scale", "zero_point", "index", "option", "buffer", "requant")


# ---------------------------------------------------------------- mutations


def _schema():
    from ai_edge_litert import schema_py_generated as schema

    return schema


def _pack(schema, model) -> bytes:
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def edit(raw: bytes, change) -> bytes:
    """`raw` unpacked with the TFLite schema, changed in place by `change(model)`, and re-packed."""
    schema = _schema()
    m = schema.ModelT.InitFromPackedBuf(bytearray(raw), 0)
    change(m)
    return _pack(schema, m)


def _byte_mutant(raw: bytes, kind: str, rng: np.random.Generator) -> bytes:
    data = bytearray(raw)
    if kind == "truncate":
        return bytes(data[: int(rng.integers(0, len(data)))])
    if kind == "bitflip":
        for _ in range(int(rng.integers(1, 9))):
            pos = int(rng.integers(0, len(data)))
            data[pos] ^= 1 << int(rng.integers(0, 8))
        return bytes(data)
    start = int(rng.integers(0, len(data)))
    n = int(rng.integers(1, 17))
    fill = [rng.integers(0, 256, n, dtype=np.uint8).tobytes(), b"\xff" * n, b"\x00" * n][int(rng.integers(0, 3))]
    data[start: start + n] = fill[: len(data) - start]
    return bytes(data)


_ODD_SCALES = (0.0, -1.0, math.nan, math.inf, 1e-30, 1e30, 1e-12, 1e12)
_ODD_DIMS = (0, 1, -1, -2, 2, 3, 1000, (1 << 31) - 1)


def _choice(rng: np.random.Generator, items):
    return items[int(rng.integers(0, len(items)))]


def _struct_mutant(raw: bytes, kind: str, rng: np.random.Generator) -> bytes | None:
    """One targeted edit of the unpacked model, re-packed; None when the edit does not apply."""
    schema = _schema()
    m = schema.ModelT.InitFromPackedBuf(bytearray(raw), 0)
    sg = m.subgraphs[0]
    tensors, ops = sg.tensors, sg.operators
    t = _choice(rng, tensors)
    if kind == "shape":
        if t.shape is None or not len(t.shape):
            return None
        shape = [int(d) for d in t.shape]
        action = int(rng.integers(0, 4))
        if action == 0:
            shape[int(rng.integers(0, len(shape)))] = int(_choice(rng, _ODD_DIMS))
        elif action == 1:
            i = int(rng.integers(0, len(shape)))
            shape[i] = max(1, shape[i] + int(_choice(rng, (-1, 1, 2))))
        elif action == 2:
            shape = shape[:-1] if len(shape) > 1 else shape + [1]
        else:
            shape.insert(int(rng.integers(0, len(shape) + 1)), int(_choice(rng, (1, 2))))
        t.shape = np.array(shape, dtype=np.int32)
        t.shapeSignature = None
    elif kind in ("scale", "requant", "zero_point"):
        q = t.quantization
        if q is None or q.scale is None or not len(q.scale):
            return None
        scale = np.array(q.scale, dtype=np.float32)
        if kind == "requant":  # a plausible rescale: accepted models that the oracle can judge
            scale = scale * np.float32(2.0 ** rng.uniform(-3, 3))
        elif kind == "scale":
            action = int(rng.integers(0, 3))
            if action == 0:
                scale[int(rng.integers(0, len(scale)))] = _choice(rng, _ODD_SCALES)
            elif action == 1 and len(scale) > 1:
                scale = scale[:-1]
            else:
                q.quantizedDimension = int(rng.integers(-1, 5))
        else:
            zp = np.array(q.zeroPoint if q.zeroPoint is not None else np.zeros(len(scale)), dtype=np.int64)
            zp[int(rng.integers(0, len(zp)))] = int(_choice(rng, (300, -129, 127, -128, 0, 5, -300, 1 << 20)))
            q.zeroPoint = zp
        q.scale = scale
    elif kind == "index":
        op = _choice(rng, ops)
        target = int(rng.integers(0, 5))
        odd = int(_choice(rng, (-1, -2, len(tensors), len(tensors) + 7, int(rng.integers(0, len(tensors))))))
        if target == 0 and op.inputs is not None and len(op.inputs):
            op.inputs[int(rng.integers(0, len(op.inputs)))] = odd
        elif target == 1 and op.outputs is not None and len(op.outputs):
            op.outputs[int(rng.integers(0, len(op.outputs)))] = odd
        elif target == 2:
            op.opcodeIndex = int(_choice(rng, (len(m.operatorCodes), len(m.operatorCodes) + 3,
                                               int(rng.integers(0, len(m.operatorCodes))))))
        elif target == 3:
            t.buffer = int(_choice(rng, (0, len(m.buffers), int(rng.integers(0, len(m.buffers))))))
        else:
            which = sg.inputs if rng.integers(0, 2) else sg.outputs
            which[0] = odd
    elif kind == "option":
        op = _choice(rng, ops)
        opts = op.builtinOptions
        if opts is None:
            return None
        names = [k for k, v in vars(opts).items() if isinstance(v, (int, float, bool))]
        if not names:
            return None
        name = _choice(rng, names)
        value = getattr(opts, name)
        if isinstance(value, float):
            setattr(opts, name, float(_choice(rng, (math.nan, -1.0, 0.0, 1e30, value * 2))))
        else:
            setattr(opts, name, int(_choice(rng, (-2, 0, 1, 2, 3, 7, 1000, value + 1))))
    else:  # buffer: shorten a constant, or change its bytes (weights, biases, axes, paddings)
        buffers = [b for b in m.buffers if b.data is not None and len(b.data)]
        if not buffers:
            return None
        b = _choice(rng, buffers)
        data = np.array(b.data, dtype=np.uint8)
        action = int(rng.integers(0, 3))
        if action == 0:
            data = data[: int(rng.integers(0, len(data)))]
        elif action == 1:
            idx = rng.integers(0, len(data), int(rng.integers(1, 5)))
            data[idx] = rng.integers(0, 256, len(idx), dtype=np.uint8)
        else:
            start = 4 * int(rng.integers(0, max(1, len(data) // 4)))
            data[start: start + 4] = np.frombuffer(np.int32(_choice(rng, (2**31 - 1, -2**31, -1, 5))).tobytes(),
                                                   dtype=np.uint8)[: len(data[start: start + 4])]
        b.data = data
    try:
        return _pack(schema, m)
    except (OverflowError, ValueError, TypeError, AttributeError, IndexError) as _exc:  # not representable
        return None


@dataclass(frozen=True)
class Mutant:
    name: str
    seed_name: str
    kind: str
    data: bytes


def mutants(seeds: dict[str, bytes], n: int, seed: int) -> list[Mutant]:
    """`n` seeded mutants, the seed models and the mutation kinds taken in turn."""
    rng = np.random.default_rng(seed)
    kinds = BYTE_KINDS + STRUCT_KINDS
    names = sorted(seeds)
    out: list[Mutant] = []
    attempt = 0
    while len(out) < n:
        seed_name = names[attempt % len(names)]
        kind = kinds[(attempt // len(names)) % len(kinds)]
        attempt += 1
        raw = seeds[seed_name]
        data = _byte_mutant(raw, kind, rng) if kind in BYTE_KINDS else _struct_mutant(raw, kind, rng)
        if data is None or data == raw:
            continue
        out.append(Mutant(f"m{seed}_{len(out):05d}", seed_name, kind, data))
    return out


# ---------------------------------------------------------------- the CLI on each mutant


@dataclass
class Outcome:
    mutant: Mutant
    codegen_exit: int | None = None
    budget_exit: int | None = None
    traceback: str | None = None
    sanitizer: str | None = None
    oracle: str | None = None  # "match", "differs", "refused" (the interpreter did not take it)
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.codegen_exit == 0

    @property
    def agree(self) -> bool:
        return (self.codegen_exit == 0) == (self.budget_exit in (0, 1))


def run_cli(args: list[str]) -> tuple[int | None, str, str | None]:
    """tinydistill's main entry in-process: (exit code, output, traceback text if an exception escaped)."""
    import traceback

    from tinydistill.cli import main

    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return code, out.getvalue(), None
    except Exception:  # noqa: BLE001 - any escaping exception is exactly the finding we count
        return None, out.getvalue(), traceback.format_exc()
    return 0, out.getvalue(), None


def cli_pass(batch: list[Mutant], work: Path) -> list[Outcome]:
    """codegen and budget on every mutant; the accepted ones keep their C under work/c/<name>."""
    outcomes = []
    for m in batch:
        path = work / f"{m.name}.tflite"
        path.write_bytes(m.data)
        o = Outcome(m)
        o.codegen_exit, text, tb = run_cli(["codegen", str(path), "--out", str(work / "c" / m.name)])
        o.budget_exit, text2, tb2 = run_cli(["budget", str(path), "--target", "cortex-m4"])
        o.traceback = tb or tb2
        if o.codegen_exit not in (0, 2) or o.budget_exit not in (0, 1, 2):
            o.traceback = o.traceback or f"exit codes {o.codegen_exit}/{o.budget_exit}: {text}{text2}"
        if o.codegen_exit != 0 and (work / "c" / m.name).exists():
            o.detail = "a refused codegen left files behind"
        outcomes.append(o)
    return outcomes


# ---------------------------------------------------------------- sanitizers and the oracle


def _kernel_objects(work: Path) -> list[Path]:
    """The runtime kernels compiled once per campaign under the sanitizers."""
    from tinydistill.engine.codegen import kernel_files

    src, objects = work / "kernels", work / "kernels-obj"
    if objects.is_dir():
        return sorted(objects.glob("*.o"))
    src.mkdir(parents=True, exist_ok=True)
    for kernel in kernel_files():
        (src / kernel.name).write_bytes(kernel.read_bytes())
    tmp = work / "kernels-obj.tmp"
    tmp.mkdir(exist_ok=True)
    _compile_all(sorted(src.glob("*.c")), src, tmp)
    tmp.rename(objects)
    return sorted(objects.glob("*.o"))


def _compile_all(sources: list[Path], include: Path, objects: Path) -> list[Path]:
    from concurrent.futures import ThreadPoolExecutor

    from tinydistill.engine.check import CFLAGS

    def compile_one(c: Path) -> Path:
        obj = objects / (c.stem + ".o")
        subprocess.run(["gcc", *CFLAGS, *SANITIZE, "-I", str(include), "-c", str(c), "-o", str(obj)], check=True)
        return obj

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(compile_one, sources))


def _build(accepted: list[Outcome], root: Path, kernels: list[Path]) -> Path:
    """The accepted mutants' C in the checking layout, two unity translation units (every name in them
    carries the mutant's prefix), linked with the kernels and the multi-model harness."""
    from tinydistill.engine.codegen import kernel_files, render_sources
    from tinydistill.render import render

    src = root / "src"
    src.mkdir(parents=True, exist_ok=True)
    for kernel in kernel_files():
        if kernel.suffix == ".h":
            (src / kernel.name).write_bytes(kernel.read_bytes())
    units = [[], []]
    for k, o in enumerate(accepted):
        for name, text in render_sources(o.mutant.data, o.mutant.name, checked_layout=True).items():
            (src / name).write_text(text)
            if name.endswith(".c"):
                units[k % 2].append(name)
    sources = [src / "fuzz_main.c"]
    sources[0].write_text(render("engine/multi_check_main.c.j2", prefixes=[o.mutant.name for o in accepted]))
    for i, names in enumerate(units):
        if names:
            unit = src / f"unity{i}.c"
            unit.write_text("".join(f'#include "{n}"\n' for n in names))
            sources.append(unit)
    objects = root / "obj"
    objects.mkdir(exist_ok=True)
    objs = _compile_all(sources, src, objects)
    exe = root / "fuzz"
    subprocess.run(["gcc", *SANITIZE, *map(str, objs), *map(str, kernels), "-o", str(exe)], check=True)
    return exe


def _oracle_child(jobs: list[tuple[Path, Path, Path]]) -> None:
    """Run BUILTIN_REF on each (model, windows, result) in a child process, restarting past a crash."""
    pending = list(jobs)
    while pending:
        spec = json.dumps([[str(a), str(b), str(c)] for a, b, c in pending])
        subprocess.run([sys.executable, "-m", "benchmarks.model_fuzz", "oracle"], input=spec.encode(),
                       capture_output=True, cwd=Path(__file__).resolve().parent.parent)
        done = [j for j in pending if j[2].exists()]
        if len(done) == len(pending):
            return
        # The first job without a result crashed the interpreter: record it and go on after it.
        first = next(k for k, j in enumerate(pending) if not j[2].exists())
        pending[first][2].write_text("crashed")
        pending = pending[first + 1:]


def _oracle_main() -> None:
    from tinydistill.engine.check import _oracle_int8
    from tinydistill.engine.reader import read_bytes
    from tinydistill.errors import TinyDistillError

    for model, windows, result in json.loads(sys.stdin.read()):
        x = np.load(windows)
        raw = Path(model).read_bytes()
        try:
            y = _oracle_int8(raw, read_bytes(raw), x)  # float I/O compared on the int8 tensors, as --check does
        except TinyDistillError as exc:  # the interpreter refuses the model
            Path(result).write_text(f"refused: {exc}")
            continue
        np.save(result + ".npy", y.reshape(len(x), -1))
        Path(result).write_text("ok")


def sanitizer_pass(outcomes: list[Outcome], root: Path, kernels: list[Path], windows: int = 4, seed: int = 0) -> None:
    """Build the accepted mutants under ASan + UBSan, run them, compare with BUILTIN_REF."""
    from tinydistill.engine.compiled import compile as engine_compile

    accepted = [o for o in outcomes if o.accepted]
    if not accepted:
        return
    exe = _build(accepted, root, kernels)
    jobs = []
    runs = {}
    for k, o in enumerate(accepted):
        folded = engine_compile(o.mutant.data).model
        x = np.random.default_rng([seed, k]).integers(-128, 128, (windows, *folded.input.shape), dtype=np.int8)
        result = subprocess.run([str(exe), str(k)], input=x.tobytes(), capture_output=True)
        if result.returncode != 0:
            o.sanitizer = result.stderr.decode(errors="replace")[-2000:] or f"exit {result.returncode}"
            continue
        runs[o.mutant.name] = np.frombuffer(result.stdout, dtype=np.int8).reshape(windows, -1)
        path = root / f"{o.mutant.name}.tflite"
        path.write_bytes(o.mutant.data)
        np.save(root / f"{o.mutant.name}.x.npy", x)
        jobs.append((path, root / f"{o.mutant.name}.x.npy", root / f"{o.mutant.name}.result"))
    _oracle_child(jobs)
    for o in accepted:
        result = root / f"{o.mutant.name}.result"
        if o.sanitizer is not None or not result.exists():
            continue
        status = result.read_text()
        if status != "ok":
            o.oracle = "refused"
            o.detail = status[:200]
            continue
        expected = np.load(str(result) + ".npy")
        same = expected.shape == runs[o.mutant.name].shape and np.array_equal(expected, runs[o.mutant.name])
        o.oracle = "match" if same else "differs"


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, predicate) -> int:
        return sum(1 for o in self.outcomes if predicate(o))

    @property
    def findings(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.traceback or o.sanitizer or not o.agree or o.oracle == "differs"
                or o.detail.startswith("a refused")]


def campaign(seeds: dict[str, bytes], n: int, seed: int, work: Path, windows: int = 4,
             batch: int = 400, sanitize: bool = True) -> Summary:
    """`n` mutants through the CLI, then the accepted ones through the sanitizers and the oracle, in batches."""
    summary = Summary()
    all_mutants = mutants(seeds, n, seed)
    for start in range(0, len(all_mutants), batch):
        part = all_mutants[start: start + batch]
        root = work / f"batch{start // batch:03d}"
        root.mkdir(parents=True, exist_ok=True)
        outcomes = cli_pass(part, root)
        if sanitize:
            sanitizer_pass(outcomes, root / "asan", _kernel_objects(work), windows, seed)
        summary.outcomes.extend(outcomes)
    return summary


if __name__ == "__main__" and sys.argv[1:] == ["oracle"]:
    _oracle_main()
