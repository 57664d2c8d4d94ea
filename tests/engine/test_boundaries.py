"""The engine's boundaries: it imports no TensorFlow, and `budget` counts what codegen generates."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinydistill
from tinydistill.deploy import analysis
from tinydistill.engine.codegen import render_sources

ROOT = Path(tinydistill.__file__).resolve().parent.parent

IMPORT_ALL = """
import importlib, pkgutil, sys
import tinydistill.engine as engine
names = [m.name for m in pkgutil.walk_packages(engine.__path__, "tinydistill.engine.")]
for name in names:
    importlib.import_module(name)
assert "tensorflow" not in sys.modules and "keras" not in sys.modules, sorted(sys.modules)
print(len(names))
"""


def test_engine_imports_no_tensorflow(tmp_path):
    """Every tinydistill.engine module imports where importing tensorflow or keras raises."""
    for name in ("tensorflow", "keras"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked in this test')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    result = subprocess.run([sys.executable, "-c", IMPORT_ALL], env=env, capture_output=True, text=True,
                            check=True)
    assert int(result.stdout.split()[-1]) >= 15  # the lowering families are in the walk


def assert_budget_matches_codegen(tflite, what: str) -> None:
    """The analysis (what `budget` reads) plans the arena codegen declares, over the ops model.c runs."""
    from tinydistill.engine.reader import read

    a = analysis.analyze(tflite)
    sources = render_sources(read(tflite))
    # model.h declares the DSP builds' arena, then (#else) the others', or one figure for both.
    declared = [int(n) for n in re.findall(r"#define TD_MODEL_ARENA_SIZE (\d+)", sources["model.h"])]
    dsp, plain = declared if len(declared) == 2 else declared * 2
    assert (a.arena_bytes, a.arena_bytes_dsp) == (plain, dsp), \
        f"{what}: budget arena {a.arena_bytes} / {a.arena_bytes_dsp} B, generated {plain} / {dsp} B"
    # model.c announces each call as "op N: OPCODE": the rows are those ops plus the aliases (no code).
    calls = dict.fromkeys((int(n), op) for n, op in re.findall(r"/\* op (\d+): (\w+)", sources["model.c"]))
    rows = [(r.index, r.op) for r in a.rows if r.kind != "reshape"]
    assert rows == list(calls), f"{what}: budget rows {rows}, generated calls {list(calls)}"
    assert a.input_bytes == a.model.input.size and a.output_bytes == a.model.output.size, what  # int8 I/O


def test_anchor_budget_arena_is_the_generated_arena(anchor_model):
    assert_budget_matches_codegen(anchor_model, "anchor")


@pytest.mark.slow
def test_float_io_model_budget_has_no_boundary_rows():
    """A model converted the default way (float32 in and out): budget counts the int8 model codegen emits."""
    import keras

    from .builders import convert_default, randomize

    i = keras.Input((10, 3), batch_size=1)
    model = keras.Model(i, keras.layers.Dense(4, activation="softmax")(
        keras.layers.Flatten()(keras.layers.Conv1D(3, 3, activation="relu")(i))))
    randomize(model, 5)
    windows = np.random.default_rng(1).normal(size=(32, 10, 3)).astype(np.float32)
    tflite = convert_default(model, windows, int8_io=False)
    from tinydistill.engine.reader import read

    ir = read(tflite)
    assert (ir.input.dtype, ir.output.dtype) == ("float32", "float32")
    assert {"QUANTIZE", "DEQUANTIZE"} <= {op.opcode for op in ir.operators}
    assert_budget_matches_codegen(tflite, "float-I/O model")
    assert not {"QUANTIZE", "DEQUANTIZE"} & {r.op for r in analysis.analyze(tflite).rows}


@pytest.mark.slow
def test_keras_models_budget_arena_is_the_generated_arena(keras_models):
    for name, tflite in keras_models.items():
        assert_budget_matches_codegen(tflite, name)


@pytest.mark.slow
def test_zoo_budget_arena_is_the_generated_arena(zoo_converted):
    from tinydistill.errors import UnsupportedModel

    from tinydistill.engine.reader import read

    checked = 0
    for key, result in zoo_converted.items():
        try:
            render_sources(read(result.tflite))
        except UnsupportedModel:
            with pytest.raises(UnsupportedModel):  # budget refuses what codegen refuses
                analysis.analyze(result.tflite)
            continue
        assert_budget_matches_codegen(result.tflite, f"zoo {key}")
        checked += 1
    assert checked >= len(zoo_converted) // 2


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["basic_motions_run", "forecast_run", "anomaly_run"])
def test_students_budget_arena_is_the_generated_arena(request, fixture):
    from tinydistill.deploy.quantize import ensure_int8
    from tinydistill.rundir import open_run

    assert_budget_matches_codegen(ensure_int8(open_run(request.getfixturevalue(fixture))), fixture)
