"""What `--json` prints: one JSON object per command, its keys documented here as JSON Schema.

Every object carries `command` and `schema_version`. Keys are only ever added within a
version; renaming or removing one bumps SCHEMA_VERSION. tests/test_json_output.py validates
each command's output against these schemas (objects may hold more keys than listed).
"""

from __future__ import annotations

SCHEMA_VERSION = 1

_STR = {"type": "string"}
_INT = {"type": "integer"}
_NUM = {"type": "number"}
_BOOL = {"type": "boolean"}
_NUM_OR_NULL = {"type": ["number", "null"]}
_STRS = {"type": "array", "items": _STR}
_METRICS = {"type": "object", "description": "metric name -> value (tinydistill/scoring.py)",
            "additionalProperties": _NUM}


def _obj(required: dict, optional: dict | None = None) -> dict:
    return {"type": "object", "required": sorted(required), "properties": {**required, **(optional or {})}}


# The engine the firmware runs (tinydistill/deploy/engine_mode.py); streaming adds its per-hop figures.
_ENGINE = _obj({"mode": {"enum": ["streaming", "full-window"]}, "reason": _STR,
                "hop": {"type": ["integer", "null"]}}, {"state_bytes": _INT})
_CONFUSION = {"type": "array", "items": {"type": "array", "items": _INT}}
_PER_CLASS = {"type": "array", "items": _obj({"label": _STR, "precision": _NUM, "recall": _NUM, "f1": _NUM,
                                              "support": _INT})}

SCHEMAS: dict[str, dict] = {
    "datasets": _obj({"datasets": {"type": "array", "items": _obj({
        "name": _STR, "task": _STR, "channels": _STRS, "classes": _STR, "provenance": _STR})}}),
    "train": _obj({
        "run": {**_STR, "description": "the run directory written"},
        "task": _STR, "split": {**_STR, "description": "the split the metrics are on: test"},
        "models": {"type": "object", "description": "teacher, student, baseline -> metrics (with params)",
                   "required": ["teacher", "student", "baseline"], "additionalProperties": _METRICS},
    }, {"selection": {"type": ["object", "null"], "description": "metrics.json['selection'] when T/alpha were chosen"}}),
    "quantize": _obj({
        "ok": _BOOL, "model": _STR, "bytes": _INT, "split": _STR, "float": _METRICS, "int8": _METRICS,
        "metric": _STR, "drop": _NUM, "max_drop": _NUM, "drop_unit": _STR, "verdict": _STR}),
    "budget": _obj({
        "target": _STR, "ok": _BOOL, "model": {"type": ["string", "null"]},
        "limits": _obj({"flash": _INT, "ram": _INT, "latency_s": _NUM_OR_NULL}),
        "flash": _obj({"total": _INT, "weights": _INT, "quantization": _INT, "code_estimate": _INT}),
        "ram": _obj({"total": _INT, "arena": _INT, "firmware_state": _INT, "stack": _INT}),
        "latency": _obj({"seconds": _NUM, "cycles": _NUM, "clock_hz": _INT}),
        "params": _INT, "macs": _INT,
        "layers": {"type": "array", "items": _obj({"op": _STR, "params": _INT, "macs": _INT, "cycles": _NUM,
                                                   "activation_bytes": _INT, "weight_bytes": _INT})},
        "over": _obj({"flash": _BOOL, "ram": _BOOL, "latency": _BOOL}), "verdict": _STR},
        {"engine": {**_ENGINE, "description": "the engine whose figures ram and latency are (the firmware's)"},
         "full_window": _obj({"cycles": _NUM, "seconds": _NUM, "macs": _INT, "ram_total": _INT, "arena": _INT}),
         "streaming": {"type": ["object", "null"], "description": "per-hop figures when the student streams",
                       "properties": {"hop": _INT, "macs_per_hop": _INT, "cycles_per_hop": _NUM,
                                      "seconds_per_hop": _NUM, "first_window_cycles": _NUM, "state_bytes": _INT,
                                      "extra_ram_bytes": _INT, "layers": {"type": "array"}}}}),
    "evaluate": _obj({
        "task": _STR, "windows": _INT, "split": {**_STR, "description": "all, train, val, test, or csv"},
        "float": _METRICS, "int8": _METRICS,
    }, {"source": {**_STR, "description": "the dataset or CSV files evaluated"}, "labels": _STRS, "float_confusion": _CONFUSION, "int8_confusion": _CONFUSION, "int8_per_class": _PER_CLASS,
        "float_per_class": _PER_CLASS}),
    "codegen": _obj({
        "files": _STRS, "out": {"type": ["string", "null"]},
        "arena_bytes": _INT, "weight_bytes": _INT, "ops": _INT,
        "arena_bytes_dsp": {**_INT, "description": "the arena of builds with the DSP kernels (Armv7E-M, Armv8-M "
                            "with DSP), their scratch included; arena_bytes is the others'"},
        "input": _obj({"shape": {"type": "array", "items": _INT}, "scale": _NUM, "zero_point": _INT}),
        "output": _obj({"shape": {"type": "array", "items": _INT}, "scale": _NUM, "zero_point": _INT}),
        "check": {"type": ["object", "null"], "properties": {"ok": _BOOL, "exact": _INT, "windows": _INT}},
    }),
    "export": _obj({
        "out": _STR, "target": _STR, "framework": _STR, "environments": _STRS, "written": _STRS, "kept": _STRS,
        "created": _STRS, "budget_ok": _BOOL, "validated": _BOOL, "budget": _STR},
        {"engine": {"anyOf": [_ENGINE, {"type": "null"}]}}),
    "emulate": _obj({
        "ok": _BOOL, "project": _STR, "target": _STR, "platform": _STR, "stream": _STR, "samples": _INT,
        "recordings": _INT, "expected": _INT, "received": _INT, "matched": _INT, "agreement": _NUM,
        "mismatches": _STRS, "accuracy": _NUM_OR_NULL, "instructions_per_inference": _NUM_OR_NULL,
        "latency_ms": _NUM_OR_NULL, "clock_hz": _INT, "flash": _INT, "ram_static": _INT,
        "stack_used": {"type": ["integer", "null"]}, "app_flash": _INT, "app_ram": _INT},
        {"engine": {"enum": ["streaming", "full-window"]}, "instructions_per_hop": _NUM_OR_NULL,
         "instructions_first_window": _NUM_OR_NULL, "cycles_per_hop": _NUM_OR_NULL}),
    "hil": _obj({
        "ok": _BOOL, "port": _STR, "stream": _STR, "expected": _INT, "matched": _INT, "agreement": _NUM,
        "mismatches": _STRS, "accuracy": _NUM_OR_NULL, "seconds": _NUM}),
    "report": _obj({"html": _STR, "figures": _STRS, "sections": _STRS}),
    "search": _obj({
        "study": _STR, "storage": {**_STR, "description": "the study database (password hidden)"},
        "metric": {**_STR, "description": "the validation metric of the front (int8, task's primary)"},
        "trials": _obj({"complete": _INT, "pruned": _INT, "fail": _INT, "running": _INT, "waiting": _INT,
                        "pruned_by_budget": {**_INT, "description": "of the pruned, those over the budget (the "
                                             "others: a shape the window or the int8 converter refuses)"}}),
        "ran_here": {"type": "array", "items": _INT, "description": "trial numbers this worker ran"},
        "front": {"type": "array", "description": "Pareto-optimal trials: val metric vs latency vs flash",
                  "items": _obj({"trial": _INT, "candidate": _STR, "params": {"type": "object"}, "val": _NUM,
                                 "latency_s": _NUM, "flash": _INT, "ram": _INT, "model_params": _INT})},
        "picked": {"type": ["object", "null"], "description": "the trial written as the run, with its test metric",
                   "properties": {"trial": _INT, "test": _obj({"float": _NUM, "int8": _NUM})}},
        "run": {"type": ["string", "null"], "description": "the run directory written (OUT/run)"},
        "front_file": _STR, "seconds": _NUM}),
}
for _name, _schema in SCHEMAS.items():
    _schema["properties"].update(command={"const": _name}, schema_version={"const": SCHEMA_VERSION})
    _schema["required"] = sorted({*_schema["required"], "command", "schema_version"})
# What any command prints under --json when it fails before its own object (bad input: exit 2;
# a check that fails after the object was printed prints nothing more).
ERROR_SCHEMA = _obj({"command": _STR, "schema_version": {"const": SCHEMA_VERSION},
                     "error": {**_STR, "description": "the message also printed on stderr"},
                     "exit_code": {**_INT, "description": "1: a check failed, 2: bad input or usage"}})


def schema_for(name: str) -> dict:
    """The schema named `name`: a command's, or "error"."""
    return ERROR_SCHEMA if name == "error" else SCHEMAS[name]


def stamp(command: str, value: dict, schema: str | None = None) -> dict:
    """`value` as `command`'s --json object: with `command` and `schema_version` first."""
    if (schema or command) not in SCHEMAS and schema != "error":
        raise KeyError(f"no schema for {command!r}; add one to tinydistill/schemas.py")
    return {"command": command, "schema_version": SCHEMA_VERSION, **value}
