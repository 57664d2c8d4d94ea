"""Smoke runs of the seed-paper benchmark scripts (one seed, one epoch), so they cannot rot.

Each writes its section into a temporary RESULTS file, never into benchmarks/RESULTS.md;
the figures are not asserted (they come from an epoch or two), only that the script
runs to the end and writes a stamped section with its tables.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPTS = {
    "benchmarks.hinton_mnist1d": ("hinton-mnist1d", "| MLP student distilled", "errors on 3s"),
    "benchmarks.hayashi_mackey_glass": ("hayashi-mackey-glass", "| labels only (λ=0) |", "λ=0.5, T=4", "Holm p"),
    "benchmarks.distill_table": ("distill-table", "gap closed", "Holm-corrected"),
    "benchmarks.privileged_sensors": ("privileged-sensors", "teacher on c01-c12", "Holm p"),
    "benchmarks.search": ("search", "searched − default", "trials trained / pruned", "Picked per seed"),
}


@pytest.mark.slow
@pytest.mark.parametrize("module", sorted(SCRIPTS))
def test_script_writes_its_section(module, tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n<!-- section: other -->\nkept\n<!-- /section: other -->\n")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    # Output is not captured here: pytest's fd capture shows it if the script fails.
    subprocess.run([sys.executable, "-m", module, "--quick", "--results", str(results)], cwd=ROOT, env=env,
                   check=True)
    text = results.read_text()
    section, *expected = SCRIPTS[module]
    assert f"<!-- section: {section} -->" in text and f"<!-- /section: {section} -->" in text
    assert f"python -m {module} --quick --results" in text  # the stamp names the exact command
    assert "kept" in text  # other sections are left alone
    for fragment in (*expected, "Runtime:", "Discussion"):
        assert fragment in text


def test_bad_seed_count_is_a_usage_error(tmp_path):
    run = subprocess.run([sys.executable, "-m", "benchmarks.hayashi_mackey_glass", "--seeds", "0",
                          "--results", str(tmp_path / "R.md")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2 and "--seeds must be at least 1" in run.stderr
    assert not (tmp_path / "R.md").exists()
