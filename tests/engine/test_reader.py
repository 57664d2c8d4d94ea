"""The reader turns the anchor flatbuffer into the IR the rest of the engine uses."""

import numpy as np
import pytest

from tinydistill.engine.reader import read
from tinydistill.errors import TinyDistillError


def test_anchor_ops_tensors_and_options(anchor_model):
    m = read(anchor_model)
    assert [op.opcode for op in m.operators] == [
        "EXPAND_DIMS", "CONV_2D", "RESHAPE", "EXPAND_DIMS", "DEPTHWISE_CONV_2D", "CONV_2D", "RESHAPE", "MEAN",
        "FULLY_CONNECTED", "SOFTMAX"]
    conv = m.operators[1]
    assert conv.options["padding"] == "VALID" and conv.options["stride_w"] == 2
    assert conv.options["fused_activation_function"] == "RELU" and conv.options["dilation_w_factor"] == 1
    assert conv.layer == "conv1d_1"
    weights = m.tensor(conv.inputs[1])
    assert weights.shape == (8, 1, 5, 3) and weights.dtype == "int8" and weights.quant.per_channel
    assert weights.array().shape == (8, 1, 5, 3)
    assert m.tensor(conv.inputs[2]).array().dtype == np.int32
    assert m.input.shape == (1, 128, 3) and m.input.zero_point == 12
    assert m.output.quant.zero_point == (-128,) and m.output.scale == pytest.approx(1 / 256)
    assert len(m.sha256) == 64


def test_not_a_flatbuffer_is_bad_input(tmp_path):
    bad = tmp_path / "x.tflite"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(TinyDistillError, match="TFLite flatbuffer"):
        read(bad)
