"""The exported firmware runs the streaming engine when the student streams at the run's hop.

A streamable student (`train --streaming`) exports model_stream.c and an app that calls it on each
hop's new samples; its emulation agrees with the Python reference on every window, on the host and
in QEMU (instructions counted per hop); `budget` checks one hop's figures. A student that cannot
stream, and `--no-streaming`, export the full-window engine and say why.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import _train_fixture, need_tools
from tinydistill import emu
from tinydistill.cli import cli
from tinydistill.deploy import budget
from tinydistill.deploy.emulate import emulate, format_report
from tinydistill.deploy.export import export_project, format_report as format_export, read_manifest
from tinydistill.engine import compile
from tinydistill.engine.streamability import plan_stream
from tinydistill.rundir import open_run

pytestmark = pytest.mark.slow  # the run fixtures train Keras models

LIB_SRC = "lib/tinydistill_model/src"


@pytest.fixture(scope="module")
def streaming_run(tmp_path_factory):
    """basic-motions with the streamable student family, a few epochs (the figures depend on shapes only)."""
    return _train_fixture(tmp_path_factory, "bm_stream", dataset="basic-motions", streaming=True, epochs=3,
                          teacher_epochs=1)


def _plan(run):
    r = open_run(run)
    return plan_stream(compile(r.int8_model().read_bytes()), r.run_config.hop)


def test_streaming_run_exports_the_streaming_engine_and_agrees_on_every_window(streaming_run, tmp_path):
    need_tools("gcc")
    out = tmp_path / "fw"
    report = export_project(streaming_run, "cortex-m4", out)
    plan = _plan(streaming_run)
    assert report.engine.streaming and "streaming" in format_export(report)
    engine = read_manifest(out)["engine"]
    assert engine["mode"] == "streaming" and engine["hop"] == plan.hop
    hop_budget = budget.check_budget(streaming_run, "cortex-m4")
    assert engine["macs_per_hop"] == hop_budget.hop_macs < engine["macs"] == hop_budget.analysis.macs
    assert engine["state_bytes"] == plan.state_bytes
    for name in ("model_stream.c", "model_stream.h", "td_running_mean_s8.c", "model.c"):
        assert (out / LIB_SRC / name).is_file(), name
    assert '#include "model_stream.h"' in (out / LIB_SRC / "tinydistill_model.h").read_text()
    app = (out / "src" / "app.c").read_text()
    assert "td_model_stream_step(" in app and "td_model_invoke(" not in app
    assert "Engine: streaming" in (out / "README.md").read_text()

    em = emulate(out, on="host")
    windows = em.expected
    assert em.engine == "streaming" and em.ok, em.mismatches
    # every window of every recording, each recording's first one priming the engine
    assert sum(em.first_windows) == em.recordings and windows > 2 * em.recordings


@pytest.mark.toolchain
def test_streaming_project_in_qemu_counts_instructions_per_hop(streaming_run, tmp_path):
    need_tools(emu.get("cortex-m4").cc, "qemu-system-arm")
    streamed = emulate(export_project(streaming_run, "cortex-m4", tmp_path / "s").out_dir, on="qemu")
    full = emulate(export_project(streaming_run, "cortex-m4", tmp_path / "f", streaming=False).out_dir, on="qemu")
    assert streamed.ok and full.ok, (streamed.mismatches, full.mismatches)
    assert [d.raw for d in streamed.decisions] == [d.raw for d in full.decisions]
    assert len(streamed.instructions) == streamed.expected
    # at the run's hop (W/4) a hop costs well under half the full window; priming costs about a window
    assert streamed.instructions_per_hop < full.instructions_per_inference / 2
    assert streamed.instructions_first_window > streamed.instructions_per_hop
    assert full.instructions_per_hop is None and "instructions per hop" not in format_report(full)
    text = format_report(streamed)
    assert "instructions per hop" in text and "first window of each recording" in text
    # the arena of the unused full-window engine is not linked: the streaming app needs less than its state more
    assert streamed.app_ram - full.app_ram <= _plan(streaming_run).state_bytes


def test_budget_checks_one_hop_beside_the_full_window(streaming_run):
    plan = _plan(streaming_run)
    report = budget.check_budget(streaming_run, "cortex-m4")
    full = budget.check_budget(streaming_run, "cortex-m4", engine="full-window")
    assert report.streaming and not full.streaming
    # each time-local op computes its new output rows only, at its full-window cost per row; the head is unchanged
    full_rows = {r.row.index: r.row for r in full.rows}
    for r in report.hop_rows:
        whole = full_rows[r.row.index]
        if r.row.index in {s.call.op for s in plan.steps if not s.reduction}:
            assert r.row.macs * whole.output_elements == whole.macs * r.row.output_elements
            assert r.row.output_elements < whole.output_elements
        elif r.row.index in {c.op for c in plan.tail}:
            assert r.row == whole
    assert report.hop_macs < report.analysis.macs
    assert report.cycles == report.hop_cycles < report.full_cycles == full.cycles
    # the M4's state carries the DSP convolution path's scratch, the M0+'s not; this student's convs (a
    # 32-sample window: at most 32 output pixels) are below that path's 64 pixels, so they take none
    assert plan.dsp_scratch_bytes == sum(s.dsp_scratch for s in plan.steps) == 0
    assert report.stream_state_bytes == plan.state_bytes + plan.dsp_scratch_bytes
    assert budget.check_budget(streaming_run, "cortex-m0plus").stream_state_bytes == plan.state_bytes
    assert report.ram_bytes == report.stream_state_bytes + report.state_bytes + report.stack_bytes
    assert full.ram_bytes == full.arena_bytes + full.state_bytes + full.stack_bytes
    # a latency limit between one hop and the whole window: the streaming firmware meets it
    limit = (report.latency_s + full.latency_s) / 2
    assert budget.check_budget(streaming_run, "cortex-m4", max_latency=limit).ok
    assert not budget.check_budget(streaming_run, "cortex-m4", max_latency=limit, engine="full-window").ok
    d = report.as_dict()
    assert d["engine"]["mode"] == "streaming" and d["latency"]["cycles"] == report.hop_cycles
    s = d["streaming"]
    assert s["macs_per_hop"] == report.hop_macs and s["state_bytes"] == report.stream_state_bytes
    assert s["extra_ram_bytes"] == report.stream_state_bytes - report.arena_bytes
    assert d["full_window"]["cycles"] == full.cycles and full.as_dict()["streaming"] is None
    text = budget.format_report(report)
    assert "per hop" in text and "first window after a reset" in text


def test_no_streaming_exports_the_full_window(streaming_run, tmp_path):
    out = tmp_path / "fw"
    result = CliRunner().invoke(cli, ["export", str(streaming_run), "--target", "cortex-m4", "--out", str(out),
                                      "--no-streaming", "--json"])
    assert result.exit_code == 0, result.output
    engine = json.loads(result.stdout)["engine"]
    assert engine["mode"] == "full-window" and "--no-streaming" in engine["reason"]
    assert read_manifest(out)["engine"]["mode"] == "full-window"
    assert not (out / LIB_SRC / "model_stream.c").exists()
    assert "td_model_invoke(" in (out / "src" / "app.c").read_text()
    assert "Engine: full window" in (out / "README.md").read_text()


def test_a_student_that_cannot_stream_exports_the_full_window_and_says_why(basic_motions_run, tmp_path):
    out = tmp_path / "fw"
    result = CliRunner().invoke(cli, ["export", str(basic_motions_run), "--target", "cortex-m4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    engine = read_manifest(out)["engine"]
    assert engine["mode"] == "full-window" and "prevents streaming" in engine["reason"]
    assert "prevents streaming" in result.output and "layer '" in engine["reason"]
    assert engine["reason"] in " ".join((out / "README.md").read_text().split())
    assert not (out / LIB_SRC / "model_stream.c").exists()
    # --streaming requires it: bad input, the layer named, nothing exported
    refused = CliRunner().invoke(cli, ["export", str(basic_motions_run), "--target", "cortex-m4", "--out",
                                       str(tmp_path / "no"), "--streaming"])
    assert refused.exit_code == 2 and "prevents streaming" in refused.output
    assert not (tmp_path / "no").exists()
