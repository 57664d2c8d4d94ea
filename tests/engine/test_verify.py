"""The verifier between reader and lowering: malformed models the TFLite reference kernels' Prepare
would refuse are refused (exit 2, naming the op or tensor and the rule) by every command, and
truncated or corrupt files never end in a traceback."""

import math

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import need_tools

from benchmarks.model_fuzz import edit
from tinydistill.cli import cli
from tinydistill.engine.compiled import compile as engine_compile
from tinydistill.engine.reader import read_bytes
from tinydistill.errors import TinyDistillError, UnsupportedModel

# Tensor indices of the anchor (benchmarks/anchors/conv1d_m4.tflite): input 0, conv1d output 14
# (its filter 12, bias 11), dense output 21 (weights 6), softmax output 22; op 1 is the first CONV_2D.
INPUT, CONV_OUT, CONV_FILTER, CONV_BIAS, DENSE_OUT, DENSE_WEIGHTS, OUTPUT, CONV_OP = 0, 14, 12, 11, 21, 6, 22, 1


def _shape(index, shape):
    def change(m):
        m.subgraphs[0].tensors[index].shape = np.array(shape, dtype=np.int32)
        m.subgraphs[0].tensors[index].shapeSignature = None
    return change


def _scale(index, value):
    def change(m):
        m.subgraphs[0].tensors[index].quantization.scale = np.array([value], dtype=np.float32)
    return change


def _option(op, name, value):
    def change(m):
        setattr(m.subgraphs[0].operators[op].builtinOptions, name, value)
    return change


def _drop_scale(index):
    def change(m):
        q = m.subgraphs[0].tensors[index].quantization
        q.scale, q.zeroPoint = q.scale[:-1], q.zeroPoint[:-1]
    return change


def _zero_point(index, value):
    def change(m):
        m.subgraphs[0].tensors[index].quantization.zeroPoint = np.array([value], dtype=np.int64)
    return change


MALFORMED = {
    # what the attacker found: each wrote C that overran a buffer, overflowed or shifted out of range
    "softmax output [1,2] for 4 classes": (_shape(OUTPUT, [1, 2]), "SOFTMAX"),
    "input [1,8,6] under a RESHAPE of more": (_shape(INPUT, [1, 8, 3]), "EXPAND_DIMS"),
    "per-channel scale count != output channels": (_drop_scale(CONV_FILTER), "scales"),
    "bias of fewer values than channels": (_shape(CONV_BIAS, [7]), "buffer holds"),
    "weight rows != output channels": (_shape(DENSE_WEIGHTS, [2, 32]), "per-channel scales"),
    "weights shorter than their shape": (_shape(DENSE_WEIGHTS, [3, 16]), "buffer holds"),
    "activation scale 1e-30": (_scale(CONV_OUT, 1e-30), "shift"),
    "dense output scale 1e-30 (single rounding, 31 - shift < 0)": (_scale(DENSE_OUT, 1e-30), "shift"),
    "negative filter dimension": (_shape(CONV_FILTER, [8, 1, -5, 3]), "dimension below 1"),
    "dimension 2^31-1": (_shape(CONV_OUT, [1, 1, (1 << 31) - 1, 8]), "MB"),
    "stride -2": (_option(CONV_OP, "strideW", -2), "stride_w"),
    "stride 1000": (_option(CONV_OP, "strideW", 1000), "output w"),
    "dilation 0": (_option(CONV_OP, "dilationWFactor", 0), "dilation_w_factor"),
    "padding enum 7": (_option(CONV_OP, "padding", 7), "padding"),
    "NaN scale": (_scale(CONV_OUT, math.nan), "not finite"),
    "negative scale": (_scale(CONV_OUT, -0.5), "not finite and positive"),
    "zero scale": (_scale(CONV_OUT, 0.0), "not finite and positive"),
    "zero point 300": (_zero_point(CONV_OUT, 300), "zero point 300"),
    "op input -2": (lambda m: m.subgraphs[0].operators[CONV_OP].inputs.__setitem__(0, -2), "names tensor -2"),
    "opcode index past the table": (lambda m: setattr(m.subgraphs[0].operators[0], "opcodeIndex", 99),
                                    "operator code 99"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_anchor_refused_by_codegen_and_budget(anchor_model, tmp_path, name):
    change, words = MALFORMED[name]
    path = tmp_path / "bad.tflite"
    path.write_bytes(edit(anchor_model.read_bytes(), change))
    runner = CliRunner()
    gen = runner.invoke(cli, ["codegen", str(path), "--out", str(tmp_path / "c")])
    budget = runner.invoke(cli, ["budget", str(path), "--target", "cortex-m4"])
    for result in (gen, budget):
        assert isinstance(result.exception, SystemExit), result.exception
        assert result.exit_code == 2, result.output
        assert words in result.output, result.output
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("cut", [5000, 2000, 600, 100, 20])
def test_truncated_model_exits_2_without_traceback(anchor_model, tmp_path, cut):
    path = tmp_path / "t.tflite"
    path.write_bytes(anchor_model.read_bytes()[:cut])
    for args in (["codegen", str(path), "--out", str(tmp_path / "o")], ["budget", str(path), "--target", "esp32"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert isinstance(result.exception, SystemExit), result.exception
        assert "Error:" in result.output
    assert not (tmp_path / "o").exists()


def test_intact_models_pass_the_verifier(anchor_model):
    for path in (anchor_model, anchor_model.parent / "mlperf" / "kws_ref_model.tflite",
                 anchor_model.parent / "mlperf" / "ad01_int8.tflite"):
        assert engine_compile(path).calls


def test_negative_tensor_index_does_not_wrap(anchor_model):
    model = read_bytes(anchor_model.read_bytes())
    with pytest.raises(IndexError):
        model.tensor(-2)


def test_not_a_flatbuffer_is_a_library_error():
    with pytest.raises(TinyDistillError):
        read_bytes(b"\x00" * 4 + b"TFL3" + b"\xff" * 64)


def test_shift_out_of_the_kernels_range_is_refused(anchor_model):
    # 1e-30 on the conv output makes the rescale 2^90: a left shift C cannot do.
    raw = edit(anchor_model.read_bytes(), _scale(CONV_OUT, 1e-30))
    with pytest.raises(UnsupportedModel, match=r"CONV_2D \(op 1.*shift of \d+, outside \[-31, 30\]"):
        engine_compile(raw)


def test_check_refused_by_the_interpreter_leaves_nothing(anchor_model, tmp_path):
    """--check validates first: a model refused (here by the verifier) writes no C and no build files."""
    need_tools("gcc")
    path = tmp_path / "bad.tflite"
    path.write_bytes(edit(anchor_model.read_bytes(), _scale(CONV_OUT, 1e-30)))
    result = CliRunner().invoke(cli, ["codegen", str(path), "--out", str(tmp_path / "c"), "--check",
                                      "--windows", "4"])
    assert result.exit_code == 2, result.output
    assert "bit-exact" not in result.output
    assert not (tmp_path / "c").exists()
