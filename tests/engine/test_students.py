"""Every student kind `train` produces: the generated C equals BUILTIN_REF on every test window."""

import numpy as np
import pytest
from conftest import need_tools

from tinydistill.engine.check import check_model
from tinydistill.engine.reader import read
from tinydistill.rundir import open_run

pytestmark = pytest.mark.slow


def _test_windows_int8(tflite, run) -> np.ndarray:
    model = read(tflite)
    x = run.splits()["x_test"]
    q = np.round(x / model.input.scale) + model.input.zero_point
    return np.clip(q, -128, 127).astype(np.int8).reshape(len(x), *model.input.shape)


@pytest.mark.parametrize("fixture", ["basic_motions_run", "forecast_run", "anomaly_run"])
def test_student_bit_exact_on_every_test_window(request, fixture, tmp_path):
    need_tools("gcc")
    from tinydistill.deploy.quantize import ensure_int8

    run = open_run(request.getfixturevalue(fixture))
    tflite = ensure_int8(run)
    windows = _test_windows_int8(tflite, run)
    report = check_model(tflite, inputs=windows, build_dir=tmp_path)
    assert report.ok, f"{fixture}: {report.summary()}"
    # Random windows reach saturation and rounding corners the data does not.
    assert check_model(tflite, n_windows=500, seed=3).ok
