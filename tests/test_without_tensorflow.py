"""codegen, emulate, hil, datasets and budget on an int8 .tflite run where `import tensorflow` fails.

Each command runs in a subprocess whose PYTHONPATH starts with packages `tensorflow` and
`keras` that raise ImportError, on real inputs: the anchor model and an exported project.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ANCHOR_MODEL, ROOT, need_tools
from test_hil import _board
from tinydistill.deploy.emulate import build_app
from tinydistill.deploy.export import export_project

pytestmark = pytest.mark.slow  # the exported project's run fixture trains Keras models


@pytest.fixture(scope="module")
def no_tf_env(tmp_path_factory) -> dict[str, str]:
    """The environment of a Python in which TensorFlow and Keras cannot be imported."""
    blocked = tmp_path_factory.mktemp("no_tf")
    for name in ("tensorflow", "keras"):
        (blocked / name).mkdir()
        (blocked / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked in this test')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(blocked), str(ROOT)]))
    probe = subprocess.run([sys.executable, "-c", "import tensorflow"], env=env, capture_output=True, text=True)
    assert probe.returncode != 0 and "blocked in this test" in probe.stderr
    return env


@pytest.fixture(scope="module")
def project(basic_motions_run, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("no_tf_project") / "fw"
    export_project(basic_motions_run, "esp32", out)
    return out


def _tinydistill(env: dict[str, str], *args: str, cwd: Path) -> str:
    result = subprocess.run([sys.executable, "-m", "tinydistill", *args], env=env, cwd=cwd, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_datasets_codegen_and_budget_on_a_tflite(no_tf_env, tmp_path):
    assert "basic-motions" in _tinydistill(no_tf_env, "datasets", cwd=tmp_path)
    out = _tinydistill(no_tf_env, "codegen", str(ANCHOR_MODEL), "--out", str(tmp_path / "c"), cwd=tmp_path)
    assert "wrote" in out and (tmp_path / "c" / "model.c").is_file()
    out = _tinydistill(no_tf_env, "budget", str(ANCHOR_MODEL), "--target", "cortex-m4", cwd=tmp_path)
    assert "fits cortex-m4" in out and "firmware state" in out


def test_codegen_check_without_tensorflow(no_tf_env, tmp_path):
    need_tools("gcc")
    out = _tinydistill(no_tf_env, "codegen", str(ANCHOR_MODEL), "--check", "--windows", "5", cwd=tmp_path)
    assert "5/5 windows bit-exact" in out


def test_emulate_and_hil_on_an_exported_project(no_tf_env, project, tmp_path):
    need_tools("gcc")
    out = _tinydistill(no_tf_env, "emulate", str(project), "--on", "host", cwd=tmp_path)
    assert "(100.0 %)" in out
    with _board(build_app(project, "host")) as port:
        out = _tinydistill(no_tf_env, "hil", "--port", port, "--project", str(project), "--boot-wait", "0",
                           cwd=tmp_path)
    assert "(100.0 %)" in out
