"""The anchor model's generated C is bit-exact with BUILTIN_REF and deterministic."""

from conftest import need_tools
from tinydistill.engine.check import check_model
from tinydistill.engine.codegen import generate


def test_anchor_bit_exact(anchor_model, tmp_path):
    need_tools("gcc")
    report = check_model(anchor_model, n_windows=300, seed=1, build_dir=tmp_path)
    assert report.ok, report.summary()
    assert report.n_total == 300


def test_same_model_same_bytes(anchor_model, tmp_path):
    a = generate(anchor_model, tmp_path / "a")
    b = generate(anchor_model, tmp_path / "b")
    assert [p.name for p in a] == [p.name for p in b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b))
    names = {p.name for p in a}
    assert {"model.h", "model.c", "model_data.h", "model_data.c", "td_requant.h"} <= names
    header = (tmp_path / "a" / "model.h").read_text()
    assert "sha256" in header and "TensorFlow" in header
    assert "#define TD_MODEL_ARENA_SIZE 1440" in header
    assert "int td_model_invoke(const int8_t *input, int8_t *output);" in header
