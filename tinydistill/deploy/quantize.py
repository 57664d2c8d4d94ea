"""Full-integer post-training quantization of the student, and the float-vs-int8 check.

The model is exported with a fixed batch of 1 (input signature [1, W, C]) so that
Flatten and dilated convolutions become plain RESHAPE / CONV_2D (see DESIGN.md),
then converted with TFLITE_BUILTINS_INT8 only and int8 input and output.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import atomic
from ..errors import TinyDistillError
from ..quiet import native_stderr_parked
from ..rundir import RunDir, open_run
from ..scoring import predict_float, predict_int8, run_metrics
from ..tasks import get_task

# Calibration windows: enough to cover the ranges, few enough to keep conversion ~1 s.
REPRESENTATIVE_WINDOWS = 400
RECURRENT = ("LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D")
# Ops that only move data between float and int8: inside a graph they mean part of it stayed float.
_FLOAT_BRIDGES = {"QUANTIZE", "DEQUANTIZE"}

_HINTS = {
    "LayerNormalization": "use BatchNormalization (it folds into the neighbouring convolution)",
    "Lambda": "replace the Lambda with built-in Keras layers",
    "Activation": "use relu, relu6, sigmoid, tanh or softmax",
}
_GENERIC_HINT = ("replace it with Conv1D / SeparableConv1D / Dense / pooling layers and relu, relu6, sigmoid, "
                 "tanh or softmax activations")


@dataclass(frozen=True)
class QuantizeReport:
    """Float and int8 metrics of the student on the test windows, and the verdict against `max_drop`."""

    task: str
    path: Path
    size_bytes: int
    float_metrics: dict
    int8_metrics: dict
    metric: str  # the metric the drop is measured on
    drop: float  # in the task's drop_unit; positive = int8 is worse
    max_drop: float
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.drop <= self.max_drop

    @property
    def unit(self) -> str:
        return get_task(self.task).drop_unit

    def verdict(self) -> str:
        if self.ok:
            return f"int8 within the allowed drop: {self.drop:.2f} {self.unit} (max {self.max_drop:g})"
        return (f"int8 loses {self.drop:.2f} {self.unit} of {self.metric} (max {self.max_drop:g}); try more "
                f"training data for calibration, a model with fewer outliers in its weights, or raise --max-drop")


def _layer_hint(layer) -> str:
    return _HINTS.get(type(layer).__name__, _GENERIC_HINT)


def _check_layers(model) -> None:
    """Refuse layers known to break the int8 converter before calling it (an LSTM loop crashes it)."""
    for layer in _all_layers(model):
        kind = type(layer).__name__
        if kind in RECURRENT and not getattr(layer, "unroll", False):
            raise TinyDistillError(
                f"layer {layer.name!r} ({kind}) cannot become int8 TFLite builtins as a loop; set unroll=True "
                f"(a fixed window unrolls it) or use Conv1D layers")


def _all_layers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _all_layers(layer)


def _layer_in(text: str, model):
    """The Keras layer a converter message or tensor name refers to (export adds a `_1` scope suffix)."""
    layers = {layer.name: layer for layer in _all_layers(model)}
    for part in text.replace('"', "/").replace(";", "/").split("/"):
        for name in (part[:-2] if part.endswith("_1") else None, part):
            if name in layers:
                return layers[name]
    return None


def _refuse(model, detail: str, where: str):
    layer = _layer_in(where, model)
    if layer is None:
        raise TinyDistillError(f"the student cannot become int8 TFLite builtins: {detail}; {_GENERIC_HINT}")
    raise TinyDistillError(f"layer {layer.name!r} ({type(layer).__name__}) cannot become int8 TFLite builtins "
                           f"({detail}); {_layer_hint(layer)}")


def _check_int8(tflite: bytes, model) -> None:
    """Every op of the converted graph computes in int8 (the converter silently keeps some float)."""
    from ..engine import reader

    ir = reader.read(tflite)
    for op in ir.operators:
        tensors = [t for t in (*ir.op_inputs(op), *ir.op_outputs(op)) if t is not None and not t.is_constant]
        if op.opcode in _FLOAT_BRIDGES or op.opcode.startswith("CUSTOM") or any(t.dtype == "float32" for t in tensors):
            names = " ".join(t.name for t in (*ir.op_inputs(op), *ir.op_outputs(op)) if t is not None)
            _refuse(model, f"its {op.opcode} op stays float", names)


def convert_int8(keras_model, representative_windows: np.ndarray, *, fixed_batch: bool = True,
                 int8_io: bool = True) -> bytes:
    """Full-int8 TFLite flatbuffer of `keras_model` for one window [1, W, C]; deterministic.

    Calibrates on up to REPRESENTATIVE_WINDOWS of `representative_windows` (taken evenly, in order).
    A layer that cannot become int8 builtins raises TinyDistillError naming it and what to change.
    `fixed_batch=False` converts the way most users do (`from_keras_model`, a dynamic batch: Flatten
    and dilated convolutions become shape arithmetic), `int8_io=False` keeps float input and output:
    the engine's tests use both to produce the graphs users bring; only the default form is checked
    to be free of float bridges.
    """
    import tensorflow as tf
    from tensorflow.lite.python.convert_phase import ConverterError

    windows = np.asarray(representative_windows, dtype=np.float32)
    calibration = _calibration_windows(windows)
    _check_layers(keras_model)

    def representative():
        for w in calibration:
            yield [w[None]]

    with tempfile.TemporaryDirectory(prefix="td-export-") as tmp, native_stderr_parked(replay_on_error=False):
        if fixed_batch:
            spec = tf.TensorSpec([1, *windows.shape[1:]], tf.float32)
            keras_model.export(tmp, format="tf_saved_model", input_signature=[spec], verbose=False)
            converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        else:
            converter = tf.lite.TFLiteConverter.from_keras_model(keras_model)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if int8_io:
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
        converter.representative_dataset = representative
        try:
            tflite = converter.convert()
        except ConverterError as exc:
            message = str(exc)
            lines = [ln for ln in message.splitlines() if "error:" in ln]
            detail = lines[0].split("error:")[-1].strip() if lines else message.splitlines()[0]
            _refuse(keras_model, detail, message)
        except RuntimeError as exc:  # calibration runs the float graph in the interpreter: an op refused there
            _refuse(keras_model, str(exc).strip().splitlines()[-1], str(exc))
    if fixed_batch and int8_io:
        _check_int8(tflite, keras_model)
    return tflite


def _calibration_windows(representative_windows: np.ndarray) -> np.ndarray:
    """Up to REPRESENTATIVE_WINDOWS of the windows, taken evenly, in order (float32)."""
    windows = np.asarray(representative_windows, dtype=np.float32)
    if windows.ndim < 2 or len(windows) == 0:
        raise TinyDistillError("no representative windows to calibrate int8 ranges; pass the training windows")
    pick = np.unique(np.linspace(0, len(windows) - 1, min(len(windows), REPRESENTATIVE_WINDOWS)).astype(int))
    return windows[pick]


def quantize_float_tflite(flatbuffer: bytes, representative_windows: np.ndarray) -> bytes:
    """Full-int8 flatbuffer (int8 input and output) of a float .tflite, calibrated on the windows.

    TFLite's own post-training calibrator, the step `convert_int8` runs inside the converter, applied
    to a model that was converted without it: the same int8 scheme (per-channel weights, int32 biases).
    """
    from tensorflow.lite.python.optimize import calibrator

    import tensorflow as tf

    calibration = _calibration_windows(representative_windows)

    def representative():
        for w in calibration:
            yield [w[None]]

    with native_stderr_parked(replay_on_error=False):
        try:
            tflite = calibrator.Calibrator(flatbuffer).calibrate_and_quantize(
                representative, tf.int8, tf.int8, False, activations_type=tf.int8)
        except (RuntimeError, ValueError) as exc:
            raise TinyDistillError(f"the float .tflite could not be quantized to int8 builtins: "
                                   f"{str(exc).strip().splitlines()[-1]}; convert the original Keras model instead "
                                   "(pass its .keras file)") from None
    return bytes(tflite)


def quantize_run(run_dir, max_drop: float | None = None) -> QuantizeReport:
    """Quantize RUN's student to RUN/student_int8.tflite, add `student_int8` to metrics.json, compare."""
    run = run_dir if isinstance(run_dir, RunDir) else open_run(run_dir)
    task = run.run_config.task_spec
    splits = run.splits()
    model = run.load_model("student")
    tflite = convert_int8(model, splits["x_train"])
    path = atomic.write_bytes(run.file("student_int8.tflite"), tflite)

    x, y = splits["x_test"], splits["y_test"]
    float_metrics = run_metrics(run, x, y, predict_float(model, x))
    int8_metrics = run_metrics(run, x, y, predict_int8(tflite, x))
    params = int(model.count_params())
    float_metrics["params"] = int8_metrics["params"] = params
    run.update_metrics("student_int8", int8_metrics)

    metric = task.primary
    drop = task.int8_drop(float_metrics[metric], int8_metrics[metric])
    limit = task.max_drop if max_drop is None else float(max_drop)
    return QuantizeReport(task.name, path, len(tflite), float_metrics, int8_metrics, metric, float(drop), limit)


def ensure_int8(run) -> Path:
    """RUN/student_int8.tflite, quantizing first when it is missing: for front ends (CLI, demo) only.

    The library's readers (budget, evaluate, export) never quantize; they ask for `run.int8_model()`.
    """
    run = run if isinstance(run, RunDir) else open_run(run)
    if not run.file("student_int8.tflite").is_file():
        quantize_run(run)
    return run.int8_model()


def format_report(report: QuantizeReport) -> str:
    """The float and int8 metrics side by side, then the verdict."""
    keys = [k for k in report.float_metrics if k != "params"] + ["params"]
    lines = [f"{'metric':<16}{'float':>12}{'int8':>12}"]
    for k in keys:
        fv, qv = report.float_metrics.get(k), report.int8_metrics.get(k)
        fmt = (lambda v: f"{v:>12d}") if isinstance(fv, int) else (lambda v: f"{v:>12.4f}")
        lines.append(f"{k:<16}{fmt(fv)}{fmt(qv)}")
    lines.append(f"int8 model: {report.path} ({report.size_bytes:,} bytes)")
    lines.append(report.verdict())
    return "\n".join(lines)

