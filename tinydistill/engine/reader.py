"""Read a .tflite flatbuffer into the engine's IR with the schema TensorFlow ships."""

from __future__ import annotations

import hashlib
import os
import re
import struct
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ..errors import TinyDistillError, UnsupportedModel
from .ir import Model, Operator, Quantization, Tensor


def _schema():
    # LiteRT's copy of the generated schema is the light one; TensorFlow's is the same file.
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError:  # pragma: no cover - depends on the install
        from tensorflow.lite.python import schema_py_generated as schema
    return schema


def _enum_names(enum_cls) -> dict[int, str]:
    return {v: k for k, v in vars(enum_cls).items() if not k.startswith("_") and isinstance(v, int)}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _options(schema, raw) -> MappingProxyType:
    """The op's builtin options as a read-only snake_case dict, enums as names."""
    if raw is None:
        return MappingProxyType({})
    padding = _enum_names(schema.Padding)
    activation = _enum_names(schema.ActivationFunctionType)
    out: dict[str, object] = {}
    for key, value in sorted(vars(raw).items()):
        name = _snake(key)
        if name == "padding":
            value = padding.get(value, value)
        elif name == "fused_activation_function":
            value = activation.get(value, value)
        elif isinstance(value, np.ndarray):
            value = tuple(value.tolist())
        elif isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        out[name] = value
    return MappingProxyType(out)


def layer_name(tensor_name: str) -> str | None:
    """The Keras layer in a converter tensor name ("functional_1/conv1d_1/Relu;..." → "conv1d_1")."""
    parts = tensor_name.split(";")[0].split("/")
    return parts[1] if len(parts) >= 3 else None


def _buffer_bytes(buffer, raw: bytes) -> bytes | None:
    if buffer is None:
        return None
    if buffer.data is not None and len(buffer.data):
        return np.asarray(buffer.data, dtype=np.uint8).tobytes()
    if buffer.offset and buffer.size:  # large models keep data after the flatbuffer
        return raw[buffer.offset: buffer.offset + buffer.size]
    return None


# What the generated flatbuffer code raises on a truncated or corrupt file: offsets past the
# end (struct.error, IndexError), lengths that make no sense (ValueError, OverflowError), fields
# of the wrong kind (TypeError, AttributeError), undecodable names (UnicodeDecodeError).
_CORRUPT = (struct.error, IndexError, KeyError, ValueError, TypeError, AttributeError, OverflowError,
            UnicodeDecodeError)


def read_bytes(raw: bytes) -> Model:
    """Parse a .tflite flatbuffer (bytes) into a Model (first subgraph).

    A truncated or corrupt file raises TinyDistillError, never a parser exception."""
    schema = _schema()
    if len(raw) < 8 or not schema.Model.ModelBufferHasIdentifier(raw, 0):
        raise TinyDistillError("this file is not a TFLite flatbuffer (no 'TFL3' identifier); pass a .tflite model")
    try:
        return _parse(schema, raw)
    except _CORRUPT as exc:
        raise TinyDistillError(f"cannot parse the TFLite flatbuffer ({type(exc).__name__}: {exc}); the file is "
                               "truncated or corrupt: pass an intact .tflite model") from None


def _parse(schema, raw: bytes) -> Model:
    fb = schema.ModelT.InitFromPackedBuf(bytearray(raw), 0)
    if not fb.subgraphs:
        raise TinyDistillError("the model has no subgraph; convert it again with TFLiteConverter")
    if len(fb.subgraphs) > 1:
        raise UnsupportedModel(
            f"the model has {len(fb.subgraphs)} subgraphs (control flow such as WHILE/IF); "
            "the C engine supports single-graph models: unroll loops or convert with a fixed batch of 1")
    dtypes = _enum_names(schema.TensorType)
    builtin = _enum_names(schema.BuiltinOperator)
    sg = fb.subgraphs[0]

    tensors = []
    for i, t in enumerate(sg.tensors or []):
        q = t.quantization
        quant = None
        if q is not None and q.scale is not None and len(q.scale):
            zps = q.zeroPoint if q.zeroPoint is not None else np.zeros(len(q.scale), dtype=np.int64)
            quant = Quantization(tuple(float(s) for s in q.scale), tuple(int(z) for z in zps),
                                 int(q.quantizedDimension))
        data = _buffer_bytes(fb.buffers[t.buffer] if t.buffer < len(fb.buffers or []) else None, raw)
        name = t.name.decode("utf-8", "replace") if isinstance(t.name, bytes) else str(t.name or "")
        shape = tuple(int(d) for d in t.shape) if t.shape is not None else ()
        sig = tuple(int(d) for d in t.shapeSignature) if t.shapeSignature is not None else None
        tensors.append(Tensor(i, name, shape, dtypes.get(t.type, f"type{t.type}").lower(), quant, data, sig))

    operators = []
    for k, op in enumerate(sg.operators or []):
        if not 0 <= op.opcodeIndex < len(fb.operatorCodes or []):
            raise UnsupportedModel(f"op {k} names operator code {op.opcodeIndex}, the model has "
                                   f"{len(fb.operatorCodes or [])}; the file is corrupt: convert the model again")
        code = fb.operatorCodes[op.opcodeIndex]
        number = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        opcode = builtin.get(number, f"BUILTIN_{number}")
        if opcode == "CUSTOM":
            custom = (code.customCode.decode("utf-8", "replace") if isinstance(code.customCode, bytes)
                      else code.customCode)
            opcode = f"CUSTOM:{custom}"
        inputs = tuple(int(i) for i in (op.inputs if op.inputs is not None else ()))
        outputs = tuple(int(i) for i in (op.outputs if op.outputs is not None else ()))
        layer = next((n for n in (layer_name(tensors[o].name) for o in outputs if 0 <= o < len(tensors)) if n), None)
        operators.append(Operator(k, opcode, inputs, outputs, _options(schema, op.builtinOptions),
                                  int(code.version or 1), layer))

    description = fb.description.decode("utf-8", "replace") if isinstance(fb.description, bytes) else ""
    return Model(tuple(tensors), tuple(operators), tuple(int(i) for i in sg.inputs),
                 tuple(int(i) for i in sg.outputs), hashlib.sha256(raw).hexdigest(), description)


def read(model: str | os.PathLike | bytes | Model) -> Model:
    """Read a model given as a path, its bytes, or an already-read Model."""
    if isinstance(model, Model):
        return model
    if isinstance(model, (bytes, bytearray)):
        return read_bytes(bytes(model))
    path = Path(model)
    if not path.is_file():
        raise TinyDistillError(f"model file {path} not found; pass the path of a .tflite model")
    return read_bytes(path.read_bytes())
