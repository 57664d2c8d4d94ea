"""The long model-fuzzing campaign: seeded mutants of the anchors and the engine's test students through
`codegen` and `budget`, the accepted ones under ASan + UBSan (checking layout) and against BUILTIN_REF.

    python -m benchmarks.fuzz_models [--mutants 1200] [--seed 0]

Writes the `model-fuzzing` section of benchmarks/RESULTS.md (tests/engine/test_fuzz.py runs a bounded
campaign of the same kind in CI). Exit 1 when any mutant ends in a traceback, a sanitizer finding, a
disagreement between budget and codegen, or C that differs from the interpreter.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.model_fuzz import BYTE_KINDS, STRUCT_KINDS, Summary, campaign  # noqa: E402
from benchmarks.results import markdown_table, write_section  # noqa: E402

ANCHORS = {"anchor conv1d": "benchmarks/anchors/conv1d_m4.tflite",
           "MLPerf KWS": "benchmarks/anchors/mlperf/kws_ref_model.tflite",
           "MLPerf AD": "benchmarks/anchors/mlperf/ad01_int8.tflite"}


def seed_models() -> dict[str, bytes]:
    """The anchors, the engine's Keras test students (tests/engine/builders.py) and two converted the
    default way (dynamic batch, float input and output: the folded patterns)."""
    from tests.engine.builders import convert_default, keras_int8, keras_specs, representative, sequential

    seeds = {name: (ROOT / path).read_bytes() for name, path in ANCHORS.items()}
    specs = keras_specs()
    for i, (name, (shape, layers)) in enumerate(specs.items()):
        seeds[name] = keras_int8(shape, layers, seed=i)
    for i, name in enumerate(["dense_tanh", "conv_same_dilated_pools"]):
        shape, layers = keras_specs()[name]
        model = sequential(shape, layers, seed=i)
        seeds[f"{name} (dynamic batch, float I/O)"] = convert_default(model, representative(shape, seed=i),
                                                                       int8_io=False)
    return seeds


def report(summary: Summary, seeds: dict[str, bytes], seconds: float, windows: int) -> str:
    kinds = [*BYTE_KINDS, *STRUCT_KINDS]
    header = ["mutation", "mutants", "refused (exit 2)", "accepted", "tracebacks", "budget ≠ codegen",
              "sanitizer findings", "= BUILTIN_REF", "≠ BUILTIN_REF", "interpreter refuses"]
    rows = []
    for kind in [*kinds, None]:
        part = [o for o in summary.outcomes if kind is None or o.mutant.kind == kind]
        rows.append([kind or "**all**", len(part), sum(o.codegen_exit == 2 for o in part),
                     sum(o.accepted for o in part), sum(o.traceback is not None for o in part),
                     sum(not o.agree for o in part), sum(o.sanitizer is not None for o in part),
                     sum(o.oracle == "match" for o in part), sum(o.oracle == "differs" for o in part),
                     sum(o.oracle == "refused" for o in part)])
    per_seed = collections.Counter(o.mutant.seed_name for o in summary.outcomes)
    seeds_line = ", ".join(f"{name} ({per_seed[name]})" for name in seeds)
    findings = summary.findings
    lines = [
        f"{len(summary.outcomes)} seeded mutants of {len(seeds)} models: {seeds_line}. Byte-level mutations "
        "truncate the file, flip 1–8 bits or overwrite up to 16 bytes; structure-aware ones edit one tensor's "
        "shape, scale (odd values, a dropped per-channel scale, the quantized dimension), zero point, an operand, "
        "opcode, buffer or graph index, one builtin option, a constant buffer, or rescale a tensor by 2^±3 "
        "(`requant`: plausible models the interpreter can judge).",
        "",
        "Each mutant goes through `tinydistill codegen` and `tinydistill budget --target cortex-m4`; the accepted "
        "ones are generated in the checking layout (every planned buffer its own global), built into one program "
        "with `-fsanitize=address,undefined -fno-sanitize-recover=all` and exact-size input and output buffers, "
        f"run on {windows} random windows each and compared byte for byte with BUILTIN_REF (LiteRT, in a child "
        "process) wherever the interpreter accepts the mutant.",
        "",
        markdown_table(header, rows),
        f"Findings: {len(findings)}" + (" — " + "; ".join(f"{o.mutant.name} ({o.mutant.kind} of {o.mutant.seed_name})"
                                                          for o in findings[:10]) if findings else "") + ".",
        "",
        f"Campaign time: {seconds / 60:.1f} min on this machine (2 shared cores).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--results", type=Path, default=None, help="write the section to this file instead")
    args = parser.parse_args(argv)
    seeds = seed_models()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="td-fuzz-") as tmp:
        summary = campaign(seeds, args.mutants, args.seed, Path(tmp), windows=args.windows)
    seconds = time.monotonic() - start
    body = report(summary, seeds, seconds, args.windows)
    print(body)
    kwargs = {"path": args.results} if args.results else {}
    write_section("model-fuzzing", "Model fuzzing: malformed models are refused or generate sanitizer-clean C",
                  body, **kwargs)
    return 1 if summary.findings else 0


if __name__ == "__main__":
    sys.exit(main())
