"""The public Python API: `import tinydistill` stays light, and README's example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import need_tools
from tinydistill.errors import TinyDistillError

ROOT = Path(__file__).resolve().parent.parent


def test_import_is_light_and_exposes_the_steps():
    code = ("import sys, tinydistill as td; assert callable(td.train) and callable(td.codegen); "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_arrays_are_checked_before_any_training(tmp_path):
    import tinydistill as td

    with pytest.raises(TinyDistillError, match="labels for 3 recordings"):
        td.train(tmp_path / "r", x=np.zeros((3, 40, 2)), y=[0, 1])
    with pytest.raises(TinyDistillError, match="NaN"):
        td.train(tmp_path / "r", x=np.full((4, 40, 1), np.nan), y=[0, 1, 0, 1])
    with pytest.raises(TinyDistillError, match="not both"):
        td.train(tmp_path / "r", x=np.zeros((4, 40, 1)), y=[0, 1, 0, 1], dataset="basic-motions")
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_a_user_student_with_a_softmax_is_refused(tmp_path):
    import keras

    import tinydistill as td

    student = keras.Sequential([keras.Input((16, 1)), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    x = np.random.default_rng(0).normal(size=(30, 32, 1))
    with pytest.raises(TinyDistillError, match="ends in a softmax"):
        td.train(tmp_path / "r", x=x, y=[0, 1] * 15, window=16, hop=16, student=student, epochs=1,
                 teacher_epochs=1, progress=False)
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_readme_example_runs_as_written(tmp_path):
    need_tools("gcc")
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python API"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    student_acc, baseline_acc = map(float, lines[0].split())
    assert 0.0 <= baseline_acc <= 1.0 and student_acc > 0.7  # an easy task: the student learns it
    assert lines[2].split()[0] in ("True", "False") and int(lines[2].split()[1]) > 0
    assert "bit-exact" in lines[3] and (tmp_path / "build" / "waves" / "model.c").is_file()
    assert (tmp_path / "runs" / "waves" / "student_int8.tflite").is_file()
