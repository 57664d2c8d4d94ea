"""Budgets: totals from the analysis and the engine's plan, verdicts, exit codes 0 / 1 / 2."""

import json

import pytest
from click.testing import CliRunner

from tinydistill import budget, targets
from tinydistill.cli import cli


def test_anchor_model_totals_add_up(anchor_model):
    report = budget.check_budget(anchor_model, "cortex-m4")
    a = report.analysis
    assert report.ok  # 7 KB of model on a 1 MB / 256 KB board
    assert report.flash_bytes == a.weight_bytes + a.quant_bytes + report.code_bytes
    assert report.ram_bytes == a.arena_bytes + 128 * 3 + 4 + targets.STACK_BYTES  # window 128x3 int8, 4 outputs
    m4 = targets.get_target("cortex-m4")
    assert report.cycles == pytest.approx(sum(
        m4.cost.cost(r.kind).cycles(r.macs, r.adds, r.output_elements) for r in a.rows))
    assert report.latency_s == pytest.approx(report.cycles / 64e6)
    # The same model is faster on a faster clock.
    assert budget.check_budget(anchor_model, "cortex-m7").latency_s < report.latency_s


def test_over_budget_names_the_dominating_layer(anchor_model):
    report = budget.check_budget(anchor_model, "cortex-m0plus", max_flash="1K", max_ram="1K", max_latency="100us")
    assert not report.ok and all(report.over.values())
    text = report.verdict()
    assert "flash" in text and "RAM" in text and "latency" in text
    assert "'separable_conv1d_1' (CONV_2D)" in text or "'conv1d_1' (CONV_2D)" in text
    assert json.loads(json.dumps(report.as_dict()))["ok"] is False


def test_code_estimate_counts_each_kernel_once(anchor_model):
    report = budget.check_budget(anchor_model, "esp32")
    kinds = {r.row.kind for r in report.rows}
    calls = sum(1 for r in report.rows if r.row.kind != "reshape")
    code = targets.CODE_SIZE
    assert report.code_bytes == code.runtime + sum(code.bytes_for(k) for k in kinds) + calls * code.per_op_call


def test_cli_exit_codes_on_a_tflite(anchor_model):
    runner = CliRunner()
    ok = runner.invoke(cli, ["budget", str(anchor_model), "--target", "cortex-m4"])
    assert ok.exit_code == 0, ok.output
    assert "MEAN" in ok.output and "16,624" in ok.output and "fits cortex-m4" in ok.output
    over = runner.invoke(cli, ["budget", str(anchor_model), "--target", "cortex-m4", "--max-ram", "2K"])
    assert over.exit_code == 1 and "does NOT fit" in over.output
    as_json = runner.invoke(cli, ["budget", str(anchor_model), "--target", "esp32c3", "--json"])
    assert as_json.exit_code == 0 and json.loads(as_json.output)["target"] == "esp32c3"
    for bad, says in ((["--target", "stm32f1"], "cortex-m0plus"), (["--target", "esp32", "--max-flash", "64Q"], "64K")):
        result = runner.invoke(cli, ["budget", str(anchor_model), *bad])
        assert result.exit_code == 2 and says in result.output


@pytest.mark.slow
def test_run_directory_budget_and_the_train_warning(basic_motions_int8, capsys):
    run, _ = basic_motions_int8
    runner = CliRunner()
    ok = runner.invoke(cli, ["budget", str(run), "--target", "cortex-m0plus"])
    assert ok.exit_code == 0, ok.output
    assert "logits" in ok.output  # Keras layer names, not converter scopes
    over = runner.invoke(cli, ["budget", str(run), "--target", "cortex-m0plus", "--max-flash", "2K"])
    assert over.exit_code == 1 and "flash" in over.output
    assert budget.warn_if_over_budget(run, "cortex-m0plus", {"max_flash": None}) is None
    message = budget.warn_if_over_budget(run, "cortex-m4", {"max_ram": "256"})
    assert message and "RAM" in message and "RAM" in capsys.readouterr().err
    assert budget.warn_if_over_budget(run, None, {}) is None
