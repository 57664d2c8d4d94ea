"""`--json` on every command: one object on stdout, valid against tinydistill/schemas.py, human text on stderr."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import need_tools
from tinydistill.cli import cli
from tinydistill.schemas import SCHEMA_VERSION, SCHEMAS

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def validate(value, schema: dict, where: str = "$") -> None:
    """The JSON Schema subset schemas.py uses: type, const, required, properties, additionalProperties, items."""
    if "const" in schema:
        assert value == schema["const"], f"{where}: {value!r} != {schema['const']!r}"
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        ok = any((k == "integer" and isinstance(value, int) and not isinstance(value, bool))
                 or (k == "number" and isinstance(value, (int, float)) and not isinstance(value, bool))
                 or (k in TYPES and isinstance(value, TYPES[k])) for k in kinds)
        assert ok, f"{where}: {value!r} is not {kinds}"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{where}: missing key {key!r}"
        props = schema.get("properties", {})
        for key, v in value.items():
            if key in props:
                validate(v, props[key], f"{where}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                validate(v, schema["additionalProperties"], f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            validate(v, schema["items"], f"{where}[{i}]")


def check(command: str, stdout: str) -> dict:
    """stdout is exactly one JSON object valid for `command` (and for jsonschema when it is installed)."""
    value = json.loads(stdout)  # one object and nothing else: any human line would break this
    assert value["command"] == command and value["schema_version"] == SCHEMA_VERSION
    validate(value, SCHEMAS[command])
    try:
        import jsonschema
    except ImportError:
        return value
    jsonschema.validate(value, SCHEMAS[command])
    return value


def invoke(*args, code: int = 0):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def test_the_validator_can_fail():
    schema = SCHEMAS["report"]
    good = {"command": "report", "schema_version": SCHEMA_VERSION, "html": "a", "figures": [], "sections": ["x"]}
    validate(good, schema)
    for bad in ({**good, "html": 3}, {k: v for k, v in good.items() if k != "sections"}, {**good, "figures": [1]},
                {**good, "command": "budget"}):
        with pytest.raises(AssertionError):
            validate(bad, schema)


def test_every_command_has_json_and_a_schema():
    for name, command in cli.commands.items():
        assert "as_json" in [p.name for p in command.params], f"`tinydistill {name}` has no --json"
        assert name in SCHEMAS, f"no schema for {name}"


def test_a_failing_command_prints_the_error_object(tmp_path):
    from tinydistill.schemas import ERROR_SCHEMA

    result = invoke("codegen", str(tmp_path / "missing.tflite"), "--check", "--json", code=2)
    out = json.loads(result.stdout)
    validate(out, ERROR_SCHEMA)
    assert out["command"] == "codegen" and out["exit_code"] == 2 and "does not exist" in out["error"]
    assert "Error:" in result.stderr


def test_datasets_json():
    out = check("datasets", invoke("datasets", "--json").stdout)
    assert "basic-motions" in [d["name"] for d in out["datasets"]]


def test_codegen_json_without_tensorflow(anchor_model, tmp_path):
    need_tools("gcc")
    # A subprocess: this interpreter may have imported TensorFlow already.
    r = subprocess.run([sys.executable, "-m", "tinydistill", "codegen", str(anchor_model), "--out", str(tmp_path / "c"),
                        "--check", "--windows", "5", "--json"], capture_output=True, text=True, check=True)
    out = check("codegen", r.stdout)
    assert out["check"] == {"ok": True, "exact": 5, "windows": 5}
    assert out["arena_bytes"] > 0 and out["input"]["scale"] > 0 and len(out["files"]) > 4
    assert "bit-exact" in r.stderr and "arena" in r.stderr


@pytest.mark.slow
def test_train_json(tmp_path):
    result = invoke("train", "--dataset", "basic-motions", "--epochs", "1", "--teacher-epochs", "1", "--alpha", "0.5",
                    "--temperature", "4", "--out", str(tmp_path / "run"), "--json")
    out = check("train", result.stdout)
    assert out["split"] == "test" and out["run"] == str(tmp_path / "run")
    assert "metrics on the test split" in result.stderr  # the table, on stderr under --json
    assert "epoch" not in result.stderr  # stderr is no terminal here: no progress lines


@pytest.mark.slow
def test_run_commands_json(basic_motions_int8, tmp_path):
    run = str(basic_motions_int8[0])
    q = check("quantize", invoke("quantize", run, "--json").stdout)
    assert q["ok"] and q["int8"]["accuracy"] > 0.5
    b = check("budget", invoke("budget", run, "--target", "cortex-m4", "--json").stdout)
    assert b["ok"] and b["flash"]["total"] > b["flash"]["weights"]
    over = check("budget", invoke("budget", run, "--target", "cortex-m4", "--max-ram", "1K", "--json", code=1).stdout)
    assert not over["ok"] and over["over"]["ram"]
    e = check("evaluate", invoke("evaluate", run, "--dataset", "basic-motions", "--json").stdout)
    assert e["split"] == "test" and len(e["int8_per_class"]) == len(e["labels"])
    x = check("export", invoke("export", run, "--target", "cortex-m4", "--out", str(tmp_path / "fw"), "--json").stdout)
    assert "lib/tinydistill_model/src/model.c" in x["written"]


@pytest.mark.slow
def test_emulate_and_hil_json(basic_motions_int8, tmp_path):
    need_tools("gcc")
    from test_hil import _board

    from tinydistill.deploy.emulate import build_app
    from tinydistill.deploy.export import export_project

    project = tmp_path / "fw"
    export_project(basic_motions_int8[0], "esp32", project)
    em = check("emulate", invoke("emulate", str(project), "--on", "host", "--json").stdout)
    assert em["ok"] and em["matched"] == em["expected"] > 0 and em["instructions_per_inference"] is None
    with _board(build_app(project, "host")) as port:
        h = check("hil", invoke("hil", "--port", port, "--project", str(project), "--boot-wait", "0", "--json").stdout)
    assert h["ok"] and h["agreement"] == 1.0


@pytest.mark.slow
def test_report_json(basic_motions_int8, tmp_path):
    """report --export: the firmware's sections are added; the page and its PNGs are where the JSON says."""
    need_tools("gcc")
    from tinydistill.deploy.export import export_project
    from tinydistill.report import FIRMWARE_SECTION, SECTION_IDS

    project = tmp_path / "fw"
    export_project(basic_motions_int8[0], "cortex-m4", project)
    result = invoke("report", str(basic_motions_int8[0]), "--export", str(project), "--on", "host",
                    "--out", str(tmp_path / "report"), "--json")
    out = check("report", result.stdout)
    assert "report:" in result.stderr
    assert out["sections"] == [SECTION_IDS[0], FIRMWARE_SECTION, *SECTION_IDS[1:]]
    assert out["html"] == str(tmp_path / "report" / "report.html")
    html = (tmp_path / "report" / "report.html").read_text()
    assert "Firmware: the emulated cortex-m4 app" in html and "natively on the host" in html
    for path in out["figures"]:
        assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
