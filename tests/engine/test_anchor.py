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
    # The activations alone need 1440 B: what builds without the DSP kernels declare. With them, the
    # depthwise op's scratch (520 B) goes into bytes free during its op without moving an activation:
    # that op holds its input (496 B), output (480 B) and scratch at once, so 1496 B is the least any
    # plan can give. The CONV_2Ds (60 output pixels each) take no GEMM scratch: below 64 pixels they
    # keep the plain path (lowering/conv.py _GEMM_PIXELS_MIN).
    assert ("#if defined(TD_USE_DSP)\n#define TD_MODEL_ARENA_SIZE 1496\n#else\n#define TD_MODEL_ARENA_SIZE 1440\n"
            "#endif") in header
    assert "int td_model_invoke(const int8_t *input, int8_t *output);" in header


def test_mean_with_equal_input_and_output_scale(anchor_model):
    """The reference may take another MEAN path when input and output quantization agree:
    patch the anchor's MEAN output to the input's scale (same, then shifted zero point)."""
    need_tools("gcc")
    import flatbuffers
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    fb = schema.ModelT.InitFromPackedBuf(bytearray(anchor_model.read_bytes()), 0)
    tensors = fb.subgraphs[0].tensors
    mean = next(op for op in fb.subgraphs[0].operators
                if fb.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.MEAN)
    src, dst = tensors[mean.inputs[0]].quantization, tensors[mean.outputs[0]].quantization
    for zero_point_shift in (0, 5):
        dst.scale = np.array(src.scale, dtype=np.float32)
        dst.zeroPoint = np.array(src.zeroPoint, dtype=np.int64) + zero_point_shift
        builder = flatbuffers.Builder(0)
        builder.Finish(fb.Pack(builder), file_identifier=b"TFL3")
        report = check_model(bytes(builder.Output()), n_windows=200, seed=zero_point_shift)
        assert report.ok, report.summary()
