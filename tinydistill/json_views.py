"""Each command's result as the plain dict that `--json` prints (keys: tinydistill/schemas.py).

Kept apart from the report types so that the JSON contract is read in one place.
"""

from __future__ import annotations

import math


def _finite(v):
    """NaN and infinities are not JSON: they become null."""
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _metrics(d: dict) -> dict:
    return {k: _finite(v) for k, v in d.items()}


def datasets(infos) -> dict:
    return {"datasets": [{"name": d.name, "task": d.task, "channels": list(d.channels), "classes": d.classes,
                          "provenance": d.provenance} for d in infos]}


def train(run) -> dict:
    m = run.metrics
    return {"run": str(run.path), "task": run.run_config.task, "split": "test",
            "models": {role: _metrics(m[role]) for role in ("teacher", "student", "baseline")},
            "selection": m.get("selection")}


def quantize(r) -> dict:
    return {"ok": r.ok, "model": str(r.path), "bytes": r.size_bytes, "split": "test", "float": _metrics(r.float_metrics),
            "int8": _metrics(r.int8_metrics), "metric": r.metric, "drop": _finite(r.drop), "max_drop": r.max_drop,
            "drop_unit": r.unit, "verdict": r.verdict()}


def codegen(files, out_dir, a, check) -> dict:
    """`a`: the model's deploy.analysis.ModelAnalysis (sizes, scales, arena); `check`: a CheckReport or None."""
    return {"files": [str(f) for f in files], "out": None if out_dir is None else str(out_dir),
            "arena_bytes": a.arena_bytes, "arena_bytes_dsp": a.arena_bytes_dsp, "weight_bytes": a.weight_bytes + a.quant_bytes, "ops": len(a.rows),
            "input": io_quantization(a.model, a.model.inputs[0]), "output": io_quantization(a.model, a.model.outputs[0]),
            "check": None if check is None else {"ok": check.ok, "exact": check.n_exact, "windows": check.n_total}}


def io_quantization(model, index: int) -> dict:
    """Shape, scale and zero point of the int8 tensor `index` of an engine IR model."""
    t = model.tensor(index)
    return {"shape": [int(d) for d in t.shape], "scale": float(t.quant.scale[0]), "zero_point": int(t.quant.zero_point[0])}


def export(r) -> dict:
    return {"out": str(r.out_dir), "target": r.target, "framework": r.framework, "environments": list(r.envs),
            "written": list(r.written), "kept": list(r.kept), "created": list(r.created), "budget_ok": r.budget_ok,
            "validated": r.validated, "budget": r.budget_text,
            "engine": r.engine.as_dict() if r.engine is not None else None}


def emulate(r) -> dict:
    return {"ok": r.ok, "project": str(r.project), "target": r.target, "platform": r.platform, "stream": str(r.stream),
            "samples": r.samples, "recordings": r.recordings, "expected": r.expected, "received": r.received,
            "matched": r.matched, "agreement": r.agreement, "mismatches": list(r.mismatches),
            "accuracy": _finite(r.accuracy), "instructions_per_inference": r.instructions_per_inference,
            "latency_ms": r.latency_ms, "clock_hz": r.clock_hz, "flash": r.flash, "ram_static": r.ram_static,
            "stack_used": r.stack_used, "app_flash": r.app_flash, "app_ram": r.app_ram,
            "engine": r.engine, "instructions_per_hop": r.instructions_per_hop,
            "instructions_first_window": r.instructions_first_window, "cycles_per_hop": r.cycles_per_hop}


def hil(r) -> dict:
    return {"ok": r.ok, "port": r.port, "stream": str(r.stream), "expected": r.expected, "matched": r.matched,
            "agreement": r.agreement, "mismatches": list(r.mismatches), "accuracy": _finite(r.accuracy),
            "seconds": r.seconds}
