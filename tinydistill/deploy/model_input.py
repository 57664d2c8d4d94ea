"""Models users bring: a Keras .keras file, a SavedModel folder or a float .tflite becomes a full-int8
flatbuffer through the project's one converter (deploy/quantize.py), calibrated on the user's windows.

A full-int8 .tflite passes through untouched. Anything else is refused with the exact snippet that
converts it. Calibration windows: a .npy array [N, W, C] (or [N, W·C]) or a CSV with one window
per row, W·C numbers sample by sample (channels vary fastest), normalized as the model expects;
an optional header row is skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import TinyDistillError

KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
# Ops that only move data between float and int8 (the engine strips them at the model's boundary).
_BRIDGES = {"QUANTIZE", "DEQUANTIZE"}

SNIPPET = '''{path} is not a model tinydistill reads: give a full-int8 or float .tflite, a Keras .keras file or a
SavedModel folder (with --calibration WINDOWS.npy or .csv for the last three). Convert it first, e.g.:

    # a Keras model in memory or in an older format
    import keras
    model = keras.models.load_model("model.h5")      # or the model you built
    model.save("model.keras")

    # a TensorFlow SavedModel or concrete function, to a float .tflite
    import tensorflow as tf
    tflite = tf.lite.TFLiteConverter.from_saved_model("saved_model_dir").convert()
    open("model.tflite", "wb").write(tflite)

then: tinydistill codegen model.keras --calibration windows.npy --out build/model'''


@dataclass(frozen=True)
class Prepared:
    """The int8 flatbuffer and what was done to get it."""

    tflite: bytes
    source: str  # "int8 tflite", "float tflite", "keras", "saved model"
    path: Path
    layer_names: list[str] | None = None  # Keras layer names, to label the budget's rows

    @property
    def converted(self) -> bool:
        return self.source != "int8 tflite"


def kind(path: str | os.PathLike) -> str:
    """"tflite", "keras", "saved model", or "unknown"."""
    path = Path(path)
    if path.is_dir():
        return "saved model" if (path / "saved_model.pb").is_file() else "unknown"
    if path.suffix.lower() == ".tflite":
        return "tflite"
    if path.suffix.lower() in KERAS_SUFFIXES:
        return "keras"
    return "unknown"


def is_float_tflite(flatbuffer: bytes) -> bool:
    """True when an op other than the float/int8 bridges computes in float32 (a float or hybrid model)."""
    from ..engine.reader import read
    from ..engine.verify import verify_graph

    model = read(flatbuffer)
    verify_graph(model)  # indices and shapes are the file's claims until checked: a bad one is exit 2
    for op in model.operators:
        if op.opcode in _BRIDGES:
            continue
        if any(t is not None and t.dtype == "float32" for t in (*model.op_inputs(op), *model.op_outputs(op))):
            return True
    return False


def load_calibration(path: str | os.PathLike | np.ndarray | None, input_shape: tuple[int, ...],
                     why: str) -> np.ndarray:
    """Calibration windows from a .npy or CSV file (or an array), shaped [N, *input_shape[1:]] (float32).

    `why` opens the message when no file was given: why the model needs quantizing."""
    window_shape = tuple(int(d) for d in input_shape[1:])
    size = int(np.prod(window_shape))
    if path is None:
        raise TinyDistillError(f"{why}: pass --calibration WINDOWS.npy (an array of "
                               f"windows [N, {', '.join(map(str, window_shape))}]) or a CSV with one window of "
                               f"{size} numbers per row, normalized as the model expects")
    if isinstance(path, np.ndarray):
        data, path = path, "the given windows"
        return _shaped(data, window_shape, path)
    path = Path(path)
    if not path.is_file():
        raise TinyDistillError(f"calibration file {path} does not exist; pass a .npy array or a CSV of windows")
    try:
        if path.suffix.lower() == ".npy":
            data = np.load(path, allow_pickle=False)
        else:
            data = _read_csv(path)
    except (ValueError, OSError) as exc:
        raise TinyDistillError(f"cannot read calibration windows from {path} ({exc}); pass a .npy array or a CSV "
                               "of numbers, one window per row") from None
    return _shaped(data, window_shape, path)


def _shaped(data, window_shape: tuple[int, ...], path) -> np.ndarray:
    size = int(np.prod(window_shape))
    data = np.asarray(data, dtype=np.float32)
    if data.ndim >= 1 and data.size and data.size % size == 0 and data.shape[0] * size == data.size:
        data = data.reshape(-1, *window_shape)
    else:
        raise TinyDistillError(f"calibration windows in {path} have shape {data.shape}; the model takes windows of "
                               f"{window_shape} ({size} numbers each): give [N, {', '.join(map(str, window_shape))}]")
    if not np.isfinite(data).all():
        raise TinyDistillError(f"calibration windows in {path} hold NaN or infinite values; remove those windows")
    return data


def _read_csv(path: Path) -> np.ndarray:
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    if lines:
        try:
            [float(v) for v in lines[0].split(",")]
        except ValueError:
            lines = lines[1:]  # a header row
    return np.array([[float(v) for v in ln.split(",")] for ln in lines], dtype=np.float32)


def prepare(model: str | os.PathLike, calibration: str | os.PathLike | np.ndarray | None = None) -> Prepared:
    """The full-int8 flatbuffer of `model` (quantizing a Keras model, SavedModel or float .tflite).

    `calibration`: a .npy / CSV file of windows, or the windows themselves."""
    from . import quantize

    path = Path(model)
    if not path.exists():
        raise TinyDistillError(f"model file {path} does not exist (not found); pass a .tflite, a .keras file or a "
                               "SavedModel folder")
    k = kind(path)
    if k == "unknown":
        raise TinyDistillError(SNIPPET.format(path=path))
    if k == "tflite":
        flatbuffer = path.read_bytes()
        if not is_float_tflite(flatbuffer):
            return Prepared(flatbuffer, "int8 tflite", path)
        from ..engine.reader import read
        from ..quiet import import_tensorflow

        ir = read(flatbuffer)
        shape = ir.tensors[ir.inputs[0]].shape
        windows = load_calibration(calibration, shape, f"{path} computes in float32 (converted without "
                                   "TFLITE_BUILTINS_INT8 and a representative dataset) and must be quantized to int8")
        import_tensorflow()
        return Prepared(quantize.quantize_float_tflite(flatbuffer, windows), "float tflite", path)
    from ..quiet import import_tensorflow

    import_tensorflow()
    keras_model = _load_keras(path) if k == "keras" else _load_saved_model(path)
    shape = tuple(d or 1 for d in keras_model.input_shape)
    what = f"the Keras model {path}" if k == "keras" else f"the SavedModel {path}"
    windows = load_calibration(calibration, shape, f"{what} must be quantized to int8")
    names = [layer.name for layer in keras_model.layers] if k == "keras" else None
    return Prepared(quantize.convert_int8(keras_model, windows), k, path, names)


def _load_keras(path: Path):
    import keras

    try:
        return keras.models.load_model(path, compile=False)
    except (ValueError, OSError, TypeError) as exc:
        raise TinyDistillError(f"Keras cannot load {path}: {str(exc).strip().splitlines()[0]}; save the model with "
                               "`model.save('model.keras')` in the Keras version installed here") from None


def _load_saved_model(path: Path):
    """A SavedModel's serving signature as a Keras model with one input (what convert_int8 takes)."""
    import keras
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    signature = loaded.signatures.get("serving_default")
    if signature is None:
        raise TinyDistillError(f"the SavedModel {path} has no serving_default signature; export it with "
                               "`model.export(dir)` (Keras) or tf.saved_model.save with a signature")
    inputs = signature.structured_input_signature[1]
    if len(inputs) != 1:
        raise TinyDistillError(f"the SavedModel {path} takes {len(inputs)} inputs; the C engine takes one")
    (name, spec), = inputs.items()
    outputs = list(signature.structured_outputs)
    if len(outputs) != 1:
        raise TinyDistillError(f"the SavedModel {path} has {len(outputs)} outputs; the C engine takes one")
    inp = keras.Input(tuple(spec.shape[1:]), batch_size=None, name=name)
    layer = keras.layers.TFSMLayer(str(path), call_endpoint="serving_default")
    out = layer(inp)
    return keras.Model(inp, out[outputs[0]] if isinstance(out, dict) else out)
