"""The codegen command and the C API contract: prefixes, shared folders, extra header, refusals."""

import subprocess

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import need_tools

from tinydistill import oracle
from tinydistill.cli import cli
from tinydistill.engine.codegen import generate
from tinydistill.errors import UnsupportedModel


def test_cli_check_prints_bit_exact(anchor_model, tmp_path):
    need_tools("gcc")
    result = CliRunner().invoke(cli, ["codegen", str(anchor_model), "--out", str(tmp_path / "c"), "--check",
                                      "--windows", "40"])
    assert result.exit_code == 0, result.output
    assert "40/40 windows bit-exact" in result.output
    assert (tmp_path / "c" / "model.h").is_file()


def test_cli_usage_errors_exit_2(tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli, ["codegen"]).exit_code == 2
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"nonsense")
    result = runner.invoke(cli, ["codegen", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "TFLite flatbuffer" in result.output
    assert not (tmp_path / "o").exists()
    listing = runner.invoke(cli, ["codegen", "--list-ops"])
    assert listing.exit_code == 0 and "CONV_2D" in listing.output and "SOFTMAX" in listing.output


def test_two_models_share_a_folder_with_prefixes(anchor_model, tmp_path):
    """--prefix renames every symbol and file; kernels are shared; one program calls both."""
    need_tools("gcc")
    out = tmp_path / "fw"
    generate(anchor_model, out, prefix="kws")
    generate(anchor_model, out, prefix="har")
    header = (out / "kws.h").read_text()
    assert "#define KWS_INPUT_SIZE 384" in header and "#define KWS_OUTPUT_ZERO_POINT -128" in header
    assert "int kws_invoke(const int8_t *input, int8_t *output);" in header
    (out / "main.c").write_text(
        '#include <stdio.h>\n#include "kws.h"\n#include "har.h"\n'
        "int main(void) {\n"
        "    static int8_t in[KWS_INPUT_SIZE], a[KWS_OUTPUT_SIZE], b[HAR_OUTPUT_SIZE];\n"
        "    int i;\n"
        "    if (fread(in, 1, sizeof in, stdin) != sizeof in) return 4;\n"
        "    if (kws_invoke(in, a) != 0 || har_invoke(in, b) != 0) return 5;\n"
        "    for (i = 0; i < KWS_OUTPUT_SIZE; ++i) if (a[i] != b[i]) return 6;\n"
        "    fwrite(a, 1, sizeof a, stdout);\n"
        "    return kws_invoke(NULL, a) < 0 ? 0 : 7;\n}\n")
    exe = tmp_path / "both"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", f"-I{out}",
                    *sorted(str(p) for p in out.glob("*.c")), "-o", str(exe)], check=True)
    x = np.random.default_rng(5).integers(-128, 128, (1, 128, 3), dtype=np.int8)
    got = subprocess.run([str(exe)], input=x.tobytes(), capture_output=True, check=True).stdout
    assert got == oracle.run(anchor_model, x).tobytes()


def test_bad_prefix_is_refused(anchor_model, tmp_path):
    with pytest.raises(Exception, match="not a C identifier"):
        generate(anchor_model, tmp_path, prefix="9lives")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_unsupported_and_float_models_are_refused_with_the_op(tmp_path):
    import keras
    import tensorflow as tf

    from .builders import convert_int8, representative

    inp = keras.Input((8, 2), batch_size=1)
    x = keras.layers.Dense(3)(inp)
    model = keras.Model(inp, keras.layers.Permute((2, 1))(x))  # becomes TRANSPOSE
    tflite = convert_int8(model, representative((8, 2)))
    with pytest.raises(UnsupportedModel, match=r"TRANSPOSE \(op \d+.*not supported"):
        generate(tflite, tmp_path / "transpose")
    assert not (tmp_path / "transpose").exists()

    float_model = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    path = tmp_path / "float.tflite"
    path.write_bytes(float_model)
    result = CliRunner().invoke(cli, ["codegen", str(path), "--out", str(tmp_path / "f")])
    assert result.exit_code == 2
    assert "float32" in result.output and "TFLITE_BUILTINS_INT8" in result.output
