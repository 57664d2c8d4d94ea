"""Budgets: totals from the analysis and the engine's plan, verdicts, exit codes 0 / 1 / 2."""

import json

import pytest
from click.testing import CliRunner

from tinydistill.deploy import budget, targets
from tinydistill.cli import cli


def test_anchor_model_totals_add_up(anchor_model):
    report = budget.check_budget(anchor_model, "cortex-m4")
    a = report.analysis
    assert report.ok  # 7 KB of model on a 1 MB / 256 KB board
    assert report.flash_bytes == a.weight_bytes + a.quant_bytes + report.code_bytes
    # The firmware state: td_app_t (two uint64 counters, its td_stream_t 68 B, 4 int32 sums, 1 int32 vote label,
    # the streaming ring of 2 x 128 x 3 int8 samples, 4 int8 of history, 4 int8 outputs, a 148-character line,
    # 4 bytes of tail padding to the counters' alignment) and the serial reader (20 B and a 91-character line),
    # as sizeof gives them on Cortex-M (tests/test_firmware_state.py).
    assert report.state_bytes == (16 + 68 + 16 + 4 + 2 * 128 * 3 + 4 + 4 + 148 + 4) + (20 + 91)
    # The M4 builds the DSP kernels, whose scratch the arena holds.
    assert report.arena_bytes == a.arena_bytes_dsp == 1496
    assert report.ram_bytes == a.arena_bytes_dsp + report.state_bytes + report.target.stack_bytes
    m4 = targets.get_target("cortex-m4")
    assert report.cycles == pytest.approx(sum(
        m4.cost.cost(r.kind).cycles(r.macs, r.adds, r.output_elements) for r in a.rows))
    assert report.latency_s == pytest.approx(report.cycles / 64e6)
    # The same model is faster on a faster clock.
    assert budget.check_budget(anchor_model, "cortex-m7").latency_s < report.latency_s


def test_ram_counts_the_arena_of_the_targets_build(anchor_model):
    """Cores without the DSP extension build the plain kernels, which take no scratch: their arena is
    the activations' alone (the same generated folder declares both, tests/engine/test_qemu.py)."""
    plain = budget.check_budget(anchor_model, "cortex-m0plus")
    dsp = budget.check_budget(anchor_model, "cortex-m4")
    assert plain.arena_bytes == plain.analysis.arena_bytes == 1440
    assert dsp.arena_bytes == 1496
    for report in (plain, dsp):
        assert report.ram_bytes == report.arena_bytes + report.state_bytes + report.stack_bytes
        assert report.as_dict()["ram"]["arena"] == report.arena_bytes
    assert "arena 1,440 B (liveness plan)" in budget.format_report(plain)
    assert "arena 1,496 B (liveness plan with the DSP kernels' scratch)" in budget.format_report(dsp)
    assert budget.check_budget(anchor_model, "esp32c3").arena_bytes == 1440


def test_over_budget_names_the_dominating_layer(anchor_model):
    report = budget.check_budget(anchor_model, "cortex-m0plus", max_flash="1K", max_ram="1K", max_latency="100us")
    assert not report.ok and all(report.over.values())
    text = report.verdict()
    assert "flash" in text and "RAM" in text and "latency" in text
    assert "the generated code dominates" in text  # 7 KB of model: its kernels outweigh its weights
    assert "RAM" in text and f"peak is at layer '{report.rows[report.analysis.peak_step].name}'" in text
    assert "layer 'separable_conv1d_1' (CONV_2D, 7,680 MACs) takes" in text


def test_flash_over_budget_names_the_heaviest_layer():
    import keras
    import numpy as np

    from tinydistill.deploy.quantize import convert_int8

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((16, 2)), keras.layers.Flatten(name="flat"),
                              keras.layers.Dense(128, activation="relu", name="wide"), keras.layers.Dense(2, name="out")])
    tflite = convert_int8(model, np.random.default_rng(0).normal(size=(8, 16, 2)).astype(np.float32))
    report = budget.check_budget(tflite, "cortex-m4", max_flash="4K")
    assert report.over == {"flash": True, "ram": False, "latency": False}
    assert "layer 'wide_1' (FULLY_CONNECTED) dominates" in report.verdict()  # converter scope name (no Keras names)
    assert json.loads(json.dumps(report.as_dict()))["ok"] is False


def test_code_estimate_counts_each_kernel_once(anchor_model):
    report = budget.check_budget(anchor_model, "esp32")
    kinds = {r.row.kind for r in report.rows}
    code = targets.CODE_SIZE
    calls = sum(code.call_bytes(r.row.kind) for r in report.rows if r.row.kind != "reshape")
    assert report.code_bytes == code.runtime + sum(code.bytes_for(k) for k in kinds) + calls


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


@pytest.mark.slow
def test_budget_quantizes_first_when_the_int8_model_is_missing(basic_motions_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(basic_motions_run, run, ignore=shutil.ignore_patterns("student_int8.tflite"))
    result = CliRunner().invoke(cli, ["budget", str(run), "--target", "esp32c3", "--json"])
    assert result.exit_code == 0, result.output
    assert (run / "student_int8.tflite").is_file()
    assert "student_int8" in json.loads((run / "metrics.json").read_text())


@pytest.mark.toolchain
def test_cost_model_predicts_the_emulated_instruction_count(anchor_model, tmp_path):
    """The Cortex-M4 latency model against the generated engine's exact count in QEMU.

    The rates come from benchmarks/calibrate_costs.py; when the kernels change a lot, re-run it.
    """
    from conftest import need_tools
    from tinydistill import emu
    from tinydistill.engine.codegen import generate

    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    gen = tmp_path / "gen"
    generate(anchor_model, gen)
    main = tmp_path / "main.c"
    main.write_text(
        '#include "model.h"\n#include "td_bench.h"\n'
        "static int8_t in[TD_MODEL_INPUT_SIZE], out[TD_MODEL_OUTPUT_SIZE];\n"
        "int main(void) {\n    for (int i = 0; i < TD_MODEL_INPUT_SIZE; i++) in[i] = (int8_t)(i * 37);\n"
        "    td_bench_begin();\n    int status = td_model_invoke(in, out);\n    td_bench_end();\n"
        "    return status;\n}\n")
    elf = emu.build("cortex-m4", [*sorted(gen.glob("*.c")), main], include_dirs=[gen], out=tmp_path / "app.elf")
    run = emu.run("cortex-m4", elf, count_instructions=True, timeout=120)
    assert run.ok, run.describe()
    predicted = budget.check_budget(anchor_model, "cortex-m4").cycles
    assert 0.67 < predicted / run.regions[0] < 1.5, (
        f"the cost model predicts {predicted:,.0f} instructions, QEMU counts {run.regions[0]:,}: "
        "re-run `python benchmarks/calibrate_costs.py`")


@pytest.mark.toolchain
def test_code_estimate_near_the_built_engine(anchor_model, tmp_path):
    """The code-size estimate against the anchor's engine objects built for Cortex-M4 (.text + .rodata of
    model.o and the kernels; benchmarks/calibrate_costs.py measures the figures behind it)."""
    from conftest import need_tools
    from tinydistill import emu
    from tinydistill.engine.codegen import generate

    need_tools("arm-none-eabi-gcc")
    gen = tmp_path / "gen"
    generate(anchor_model, gen)
    main = tmp_path / "main.c"
    main.write_text('#include "model.h"\nstatic int8_t in[TD_MODEL_INPUT_SIZE], out[TD_MODEL_OUTPUT_SIZE];\n'
                    "int main(void) { return td_model_invoke(in, out); }\n")
    elf = emu.build("cortex-m4", [*sorted(gen.glob("*.c")), main], include_dirs=[gen], out=tmp_path / "app.elf")
    built = sum(s.text + s.rodata for name, s in emu.object_sizes(elf).items()
                if name.startswith("td_") or name == "model.o")
    report = budget.check_budget(anchor_model, "cortex-m4")
    estimate = report.code_bytes - targets.CODE_SIZE.runtime
    assert 0.7 < estimate / built < 1.35, (f"code estimate {estimate:,} B, built {built:,} B: "
                                           "re-run `python benchmarks/calibrate_costs.py`")
