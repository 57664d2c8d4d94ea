"""`tinydistill emulate`: the exported app on host, Cortex-M4 and rv32 agrees with the Python reference."""

from __future__ import annotations

import csv
import json
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import need_tools
from tinydistill.cli import cli
from tinydistill import emu
from tinydistill.deploy.emulate import app_sources, compare, emulate
from tinydistill.errors import CheckFailed, TinyDistillError
from tinydistill.deploy.export import export_project, read_manifest
from tinydistill.deploy.layout import from_manifest
from tinydistill.data.stream_csv import device_lines, load_stream
from tinydistill.deploy.streaming import StreamSpec, reference

pytestmark = pytest.mark.slow  # the run fixture trains Keras models


@pytest.fixture(scope="module")
def projects(basic_motions_run, tmp_path_factory):
    """Exported basic-motions projects: target name -> folder (exported on first use)."""
    root = tmp_path_factory.mktemp("projects")
    cache: dict[str, Path] = {}

    def get(target: str) -> Path:
        if target not in cache:
            export_project(basic_motions_run, target, root / target)
            cache[target] = root / target
        return cache[target]

    return get


@pytest.fixture(scope="module")
def awkward_stream(basic_motions_run, tmp_path_factory) -> Path:
    """Several recordings cut to lengths that are not multiples of the hop, columns reordered, no label column."""
    with (basic_motions_run / "test_stream.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    recs: dict[str, list[dict]] = {}
    for row in rows:
        recs.setdefault(row["rec"], []).append(row)
    chosen = list(recs.values())[:4]
    cuts = [len(chosen[0]) - 3, len(chosen[1]), len(chosen[2]) - 7, 11]  # one shorter than any window
    channels = [c for c in rows[0] if c not in ("rec", "label")]
    path = tmp_path_factory.mktemp("streams") / "awkward.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["rec", *reversed(channels), "note"])
        for rec, cut in zip(chosen, cuts):
            for row in rec[:cut]:
                w.writerow([row["rec"], *(row[c] for c in reversed(channels)), "x"])
    return path


@pytest.mark.parametrize("target,on,platform", [("esp32", None, "host"), ("cortex-m4", None, "cortex-m4"),
                                                ("esp32c3", "qemu", "rv32"), ("cortex-m0plus", None, "cortex-m0plus"),
                                                ("cortex-m7", None, "cortex-m7"), ("cortex-m33", None, "cortex-m33")])
def test_app_agrees_with_python_on_the_test_split(projects, target, on, platform):
    if platform.startswith("cortex-m"):
        need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    elif platform == "rv32":
        need_tools("riscv64-unknown-elf-gcc", "qemu-system-riscv32")
    else:
        need_tools("gcc")
    report = emulate(projects(target), on=on)
    assert report.platform == platform
    assert report.ok, report.mismatches
    assert report.expected > 0 and report.agreement == 1.0 and report.recordings > 1
    assert report.accuracy is not None and report.accuracy > 0.5
    assert report.flash > 0 and report.ram_static > 0
    if platform == "host":
        assert report.instructions == () and report.stack_used is None
    else:
        assert len(report.instructions) == report.expected and min(report.instructions) > 1000
        assert report.latency_ms > 0 and 0 < report.stack_used < 16 * 1024


@pytest.mark.parametrize("on", ["host", "qemu"])
def test_uneven_recordings_and_reordered_columns(basic_motions_run, projects, awkward_stream, on):
    if on == "qemu":
        need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    report = emulate(projects("cortex-m4"), stream=awkward_stream, on=on)
    assert report.ok, report.mismatches
    assert report.recordings == 4 and report.accuracy is None
    # the window restarts with each recording; tails shorter than a hop make no inference
    config = json.loads((basic_motions_run / "config.json").read_text())
    window, hop = config["window"], config["hop"]
    with awkward_stream.open(newline="") as f:
        lengths = list(Counter(row["rec"] for row in csv.DictReader(f)).values())
    assert any((n - window) % hop for n in lengths if n >= window) and min(lengths) < window
    assert report.expected == sum((n - window) // hop + 1 for n in lengths if n >= window)


def test_smoothed_decisions_agree(basic_motions_run, tmp_path):
    need_tools("gcc")
    export_project(basic_motions_run, "cortex-m4", tmp_path / "fw", smoothing="vote", smooth_n=3)
    config = tmp_path / "fw" / "lib" / "tinydistill_model" / "src" / "td_stream_config.h"
    assert "#define TD_STREAM_SMOOTHING 2" in config.read_text()
    report = emulate(tmp_path / "fw", on="host")
    assert report.ok, report.mismatches


def test_app_is_clean_under_address_and_undefined_behaviour_sanitizers(projects, awkward_stream, tmp_path):
    need_tools("gcc")
    project = projects("esp32")
    exe = tmp_path / "app"
    sources = [str(s) for s in app_sources(project, tmp_path, "host")]
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g", "-ffp-contract=off",
                    "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-DTD_EMU_HOST", "-DTD_BAUD=115200",
                    *(f"-I{d}" for d in from_manifest(read_manifest(project)).source_dirs(project)),
                    f"-I{emu.platform_dir()}", *sources,
                    str(emu.platform_dir() / "td_bench.c"), "-o", str(exe)], check=True)
    spec = StreamSpec.from_json(read_manifest(project)["spec"])
    stream = load_stream(awkward_stream, spec.channels)
    out = subprocess.run([str(exe)], input="\n".join(device_lines(stream)) + "\n", capture_output=True, text=True,
                         check=True)
    expected = reference(project / read_manifest(project)["model"], spec, stream)
    matched, mismatches, _ = compare(expected, out.stdout.splitlines())
    assert matched == len(expected) > 0 and not mismatches


def test_cli_reports_agreement_and_instructions(projects):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    result = CliRunner().invoke(cli, ["emulate", str(projects("cortex-m4"))])
    assert result.exit_code == 0, result.output
    assert "(100.0 %)" in result.output and "instructions per inference" in result.output
    assert "exact" in result.output and "64 MHz" in result.output and "flash" in result.output


def test_a_wrong_output_is_a_mismatch_and_exit_1(projects, tmp_path):
    need_tools("gcc")
    project = _with_app_patch(projects("cortex-m4"), tmp_path / "wrong", "    output[0] ^= 1;\n")
    report = emulate(project, on="host")
    assert not report.ok and report.matched == 0 and "raw=" in report.mismatches[0]
    result = CliRunner().invoke(cli, ["emulate", str(project), "--on", "host"])
    assert result.exit_code == 1 and "MISMATCH" in result.output


def test_an_emulated_crash_fails_within_seconds(projects, tmp_path):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    # a store to an unmapped address: a bus fault on the emulated core
    crash = "    if (app->inferences == 3) *(volatile int *)0xF0000000u = 1;\n"
    project = _with_app_patch(projects("cortex-m4"), tmp_path / "crash", crash)
    start = time.monotonic()
    with pytest.raises(CheckFailed, match="crashed"):
        emulate(project, timeout=60)
    assert time.monotonic() - start < 20
    result = CliRunner().invoke(cli, ["emulate", str(project)])
    assert result.exit_code == 1 and "crashed" in result.output and "Traceback" not in result.output


def test_a_hanging_app_is_killed_at_the_timeout(projects, tmp_path):
    need_tools("gcc")
    hang = "    while (app->inferences == 2) {\n    }\n"
    project = _with_app_patch(projects("esp32"), tmp_path / "hang", hang)
    start = time.monotonic()
    with pytest.raises(CheckFailed, match="timed out"):
        emulate(project, timeout=3)
    assert time.monotonic() - start < 30


def test_qemu_is_refused_for_xtensa_targets(projects):
    with pytest.raises(TinyDistillError, match="no emulator"):
        emulate(projects("esp32"), on="qemu")
    result = CliRunner().invoke(cli, ["emulate", str(projects("esp32")), "--on", "qemu"])
    assert result.exit_code == 2


def _copy(src: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".tinydistill"))
    return dest


def _with_app_patch(src: Path, dest: Path, after_count: str) -> Path:
    """A copy of the project whose app.c runs `after_count` right after counting each inference."""
    project = _copy(src, dest)
    app = project / "src" / "app.c"
    app.write_text(app.read_text().replace("    app->inferences++;\n", "    app->inferences++;\n" + after_count))
    return project


def test_anomaly_detector_agrees_including_threshold_decisions(anomaly_run, tmp_path):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    export_project(anomaly_run, "cortex-m4", tmp_path / "fw")
    report = emulate(tmp_path / "fw")
    assert report.ok, report.mismatches
    assert report.accuracy is not None and report.accuracy > 0.5


def test_forecaster_agrees_on_host(forecast_run, tmp_path):
    need_tools("gcc")
    export_project(forecast_run, "cortex-m4", tmp_path / "fw")
    report = emulate(tmp_path / "fw", on="host")
    assert report.ok, report.mismatches
