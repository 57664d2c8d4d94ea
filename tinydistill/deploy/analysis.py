"""Per-layer analysis of an int8 TFLite model: shapes, parameters, MACs and activation bytes.

Built on the C engine's compilation (engine.compile): the rows are the ops of the folded
model the generated C runs (a float-I/O model's boundary QUANTIZE / DEQUANTIZE are
stripped), and the arena is the one the generated C declares (two figures: builds without and
with the DSP kernels, whose scratch only the latter plan).

Counting conventions:
- MACs: CONV_2D = output elements × kh × kw × in_channels/groups; DEPTHWISE_CONV_2D =
  output elements × kh × kw; FULLY_CONNECTED = output elements × input features.
  MEAN / SUM / REDUCE_MAX and the pools are counted as additions or comparisons
  (`adds`: one per input element reduced), never as MACs.
- Parameters: the elements of an op's constant weight and bias tensors. A bias of all
  zeros that no Keras BiasAdd produced is one the converter added (the depthwise half of
  SeparableConv1D): it takes flash but is not a parameter of the Keras model, so it is not
  counted. Folded batch normalization: the converter merges BatchNormalization's γ, β,
  moving mean and variance into the neighbouring convolution's weights and bias, so a
  folded BN layer counts 0 here, while Keras counts 4 per channel for it (2 trainable,
  2 non-trainable): the int8 total is the Keras total minus 4 × channels per folded BN
  (plus the bias it creates, channels, when the convolution had use_bias=False).
- Activation bytes: the bytes of the op's output tensor.
- Quantization bytes: the per-channel multipliers and shifts the engine emits, and the tables it
  computes at generation time for an op (SOFTMAX's exp table, up to 1 KB).
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..engine import compiled as engine_compiled
from ..engine import reader
from ..engine.ir import Model, Operator

OP_KINDS = {
    "CONV_2D": "conv", "DEPTHWISE_CONV_2D": "depthwise", "FULLY_CONNECTED": "fully_connected",
    "MEAN": "reduce", "SUM": "reduce", "REDUCE_MAX": "reduce", "REDUCE_MIN": "reduce",
    "AVERAGE_POOL_2D": "pool", "MAX_POOL_2D": "pool",
    "SOFTMAX": "softmax", "LOG_SOFTMAX": "softmax",
    "LOGISTIC": "activation", "TANH": "activation", "GELU": "activation", "HARD_SWISH": "activation",
    "RELU": "elementwise", "RELU6": "elementwise", "RELU_N1_TO_1": "elementwise", "LEAKY_RELU": "elementwise",
    "ADD": "elementwise", "SUB": "elementwise", "MUL": "elementwise", "MAXIMUM": "elementwise",
    "MINIMUM": "elementwise", "QUANTIZE": "elementwise", "DEQUANTIZE": "elementwise",
    "CONCATENATION": "elementwise", "PAD": "elementwise", "STRIDED_SLICE": "elementwise",
    "RESHAPE": "reshape", "EXPAND_DIMS": "reshape", "SQUEEZE": "reshape",
}
WEIGHT_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV")
# Per output channel the engine emits an int32 multiplier and an int32 shift ("Prepare" in Python).
QUANT_BYTES_PER_CHANNEL = 8
# Ops whose lowering emits a generated table in flash (besides the model's tensors).
TABLE_OPS = ("SOFTMAX",)
_CTYPE_BYTES = {"int8_t": 1, "int16_t": 2, "int32_t": 4}


def op_kind(opcode: str) -> str:
    """The cost/code-size kind of a TFLite opcode (targets.OP_KINDS)."""
    return OP_KINDS.get(opcode, "other")


@dataclass(frozen=True)
class LayerRow:
    """One op of the graph with its cost figures."""

    index: int
    op: str
    kind: str
    layer: str | None
    input_shapes: tuple[tuple[int, ...], ...]
    output_shape: tuple[int, ...]
    params: int
    macs: int
    adds: int
    output_elements: int
    activation_bytes: int
    weight_bytes: int  # constant tensors the op reads (weights, biases, incl. converter-added zero biases)
    quant_bytes: int  # per-channel requantization constants and generated tables the engine emits

    def as_dict(self) -> dict:
        return {k: (list(map(list, v)) if k == "input_shapes" else list(v) if k == "output_shape" else v)
                for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class ModelAnalysis:
    """Per-op rows and totals of one int8 model, with its static memory plan."""

    rows: tuple[LayerRow, ...]
    input_shape: tuple[int, ...]
    input_bytes: int
    output_shape: tuple[int, ...]
    output_bytes: int
    arena_bytes: int  # the generated arena (TD_MODEL_ARENA_SIZE; input/output live outside it) without DSP
    arena_bytes_dsp: int  # the same with the DSP kernels' scratch (Armv7E-M / Armv8-M builds with TD_USE_DSP)
    arena_lower_bound: int
    peak_step: int  # the op at which the most arena bytes are live
    compiled: engine_compiled.CompiledModel

    @property
    def model(self) -> Model:
        """The folded model the generated C runs."""
        return self.compiled.model

    def arena_for(self, dsp: bool) -> int:
        """The arena of a build with (`dsp`, targets.Target.dsp) or without the DSP kernels' paths."""
        return self.arena_bytes_dsp if dsp else self.arena_bytes

    @property
    def params(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def macs(self) -> int:
        return sum(r.macs for r in self.rows)

    @property
    def adds(self) -> int:
        return sum(r.adds for r in self.rows)

    @property
    def weight_bytes(self) -> int:
        return sum(r.weight_bytes for r in self.rows)

    @property
    def quant_bytes(self) -> int:
        return sum(r.quant_bytes for r in self.rows)

    def params_by_layer(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rows:
            out[r.layer or f"#{r.index} {r.op}"] = out.get(r.layer or f"#{r.index} {r.op}", 0) + r.params
        return out


def keras_layer_names(keras_path: str | os.PathLike) -> list[str]:
    """Layer names of a saved .keras model, read from its config without loading TensorFlow."""
    with zipfile.ZipFile(keras_path) as z:
        config = json.loads(z.read("config.json"))
    names: list[str] = []

    def walk(model_config: dict) -> None:
        for layer in model_config.get("layers", []):
            names.append(layer["config"]["name"])
            walk(layer["config"])  # nested models

    walk(config.get("config", {}))
    return names


def _layer(model: Model, op: Operator, known: list[str] | None) -> str | None:
    candidates = []
    ins = model.op_inputs(op)
    if op.opcode in WEIGHT_OPS and len(ins) > 1 and ins[1] is not None:
        # Fused names list the folded layers first ("bn/batchnorm/mul;conv/convolution"): the last is the owner.
        candidates += [reader.layer_name(part) for part in reversed(ins[1].name.split(";"))]
    candidates += [op.layer] if op.layer else []
    if not candidates and known and op.outputs[0] in model.outputs:
        candidates = [known[-1]]  # the model's output tensor is named by the signature: the last layer made it
    candidates += [reader.layer_name(t.name) for t in model.op_inputs(op) if t is not None and t.is_constant]
    for name in (c for c in candidates if c):
        if known is None:
            return name
        # Keras' export scopes every layer as `<name>_1`: map it back to the layer's own name.
        for guess in ((name[:-2],) if name.endswith("_1") else ()) + (name,):
            if guess in known:
                return guess
    return None


def _row(model: Model, op: Operator, known: list[str] | None, table_bytes: int = 0, kind: str | None = None) -> LayerRow:
    ins = model.op_inputs(op)
    out = model.op_outputs(op)[0]
    consts = [t for t in ins if t is not None and t.is_constant]
    variables = [t for t in ins if t is not None and not t.is_constant]
    params = 0
    weight_bytes = 0
    for t in consts:
        if op.opcode not in WEIGHT_OPS and t.dtype in ("int32", "int64"):
            continue  # shapes and axes (RESHAPE, MEAN, PAD): baked into the generated code
        weight_bytes += t.nbytes
        is_zero_bias = (op.opcode in WEIGHT_OPS and t.dtype == "int32" and not any(t.data)
                        and "BiasAdd" not in t.name)
        params += 0 if is_zero_bias else t.size
    macs = adds = quant = 0
    if op.opcode in WEIGHT_OPS and len(ins) > 1 and ins[1] is not None:
        w = ins[1].shape
        if op.opcode == "CONV_2D":  # weights [O, KH, KW, I/groups]
            macs = out.size * w[1] * w[2] * w[3]
        elif op.opcode == "DEPTHWISE_CONV_2D":  # weights [1, KH, KW, O]
            macs = out.size * w[1] * w[2]
        elif op.opcode == "FULLY_CONNECTED":  # weights [O, I]
            macs = out.size * w[-1]
        else:  # TRANSPOSE_CONV: weights [O, KH, KW, I], one MAC per input element and tap
            macs = variables[0].size * w[0] * w[1] * w[2] if variables else 0
        quant = out.shape[-1] * QUANT_BYTES_PER_CHANNEL if out.shape else QUANT_BYTES_PER_CHANNEL
    elif op_kind(op.opcode) == "reduce" and variables:
        adds = variables[0].size
    elif op_kind(op.opcode) == "pool":
        adds = out.size * int(op.option("filter_height", 1)) * int(op.option("filter_width", 1))
    return LayerRow(op.index, op.opcode, kind or op_kind(op.opcode), _layer(model, op, known),
                    tuple(t.shape for t in variables), out.shape, params, macs, adds, out.size, out.nbytes,
                    weight_bytes, quant + table_bytes)


def analyze(tflite: str | os.PathLike | bytes | Model, layer_names=None) -> ModelAnalysis:
    """Per-op rows and totals of an int8 model (path, bytes or engine IR), as the C engine compiles it.

    `layer_names` (the Keras model's layer names) maps converter tensor names back to layers.
    Raises UnsupportedModel when the C engine cannot take the model.
    """
    compiled = engine_compiled.compile(tflite if not isinstance(tflite, Path) else str(tflite))
    model, plan = compiled.model, compiled.memory
    known = list(layer_names) if layer_names is not None else None
    tables = {c.op: sum(_CTYPE_BYTES[a.ctype] * len(a.values) for a in c.arrays)
              for c in compiled.calls if c.opcode in TABLE_OPS}
    # A CONV_2D lowered with the Armv7E-M GEMM path (its scratch; lowering/conv.py) runs at another rate
    # on the DSP cores than one on the plain kernel: its own kind.
    kinds = {c.op: "conv_gemm" for c in compiled.calls if c.opcode == "CONV_2D" and c.scratch}
    rows = tuple(_row(model, op, known, tables.get(op.index, 0), kinds.get(op.index)) for op in model.operators)
    steps = range(len(model.operators))
    peak = max(steps, key=plan.live_bytes, default=0)
    return ModelAnalysis(rows, model.input.shape, model.input.nbytes, model.output.shape, model.output.nbytes,
                         plan.arena_size, plan.arena_size_dsp, plan.lower_bound, peak, compiled)
