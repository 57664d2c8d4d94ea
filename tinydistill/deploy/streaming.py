"""The Python streaming reference: what the firmware must output on a recorded stream.

Built from numpy and the reference interpreter (BUILTIN_REF) on each window — never
from the generated C. It mirrors the firmware's arithmetic exactly: each raw value is
quantized once by a float32 affine map per channel, q = round_half_away(x·a + b)
clamped to int8 (two separately rounded float32 operations, as C compiled with
-ffp-contract=off); a window every `hop` samples once `window` samples of the current
recording have arrived; smoothing and decisions in integers.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import numpy as np

from .. import oracle
from ..errors import TinyDistillError
from ..data.stream_csv import Stream
from ..tasks import get_task

SMOOTHING = ("none", "average", "vote")


@dataclass(frozen=True)
class StreamSpec:
    """Everything the firmware knows about the stream and the model's quantization."""

    task: str  # a tasks.TASKS name
    channels: tuple[str, ...]
    window: int
    hop: int
    sample_rate_hz: float
    labels: tuple[str, ...]
    scale: tuple[float, ...]  # a_c, float32 values
    offset: tuple[float, ...]  # b_c, float32 values
    input_scale: float
    input_zero_point: int
    output_scale: float
    output_zero_point: int
    outputs: int
    smoothing: str = "none"
    smooth_n: int = 1
    threshold: float = 0.0  # float32 value
    normal_class: str | None = None  # anomaly: the recordings' label that counts as normal

    def to_json(self) -> dict:
        d = asdict(self)
        # hex floats keep every float32 exact through JSON
        for key in ("scale", "offset"):
            d[key] = [float(v).hex() for v in d[key]]
        for key in ("input_scale", "output_scale", "threshold"):
            d[key] = float(d[key]).hex()
        return d

    @classmethod
    def from_json(cls, d: dict) -> StreamSpec:
        d = dict(d)
        for key in ("scale", "offset"):
            d[key] = tuple(float.fromhex(v) for v in d[key])
        for key in ("input_scale", "output_scale", "threshold"):
            d[key] = float.fromhex(d[key])
        for key in ("channels", "labels"):
            d[key] = tuple(d[key])
        return cls(**d)


@dataclass(frozen=True)
class Inference:
    """One inference: newest sample's index in the stream, raw int8 outputs, decision, score."""

    t: int
    raw: tuple[int, ...]
    label: str
    score: float


def model_quantization(model: str | os.PathLike) -> tuple[float, int, float, int, tuple[int, ...], int]:
    """(input scale, input zero point, output scale, output zero point, input shape, outputs) of an int8 model."""
    interp = oracle.interpreter(model)
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    if inp["dtype"] != np.int8 or out["dtype"] != np.int8:
        raise TinyDistillError(f"{model} is not a full-int8 model; re-run `tinydistill quantize`")
    (si, zi), (so, zo) = inp["quantization"], out["quantization"]
    return float(si), int(zi), float(so), int(zo), tuple(int(d) for d in inp["shape"]), int(np.prod(out["shape"]))


def affine(mean, std, input_scale: float, input_zero_point: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (a, b) in float32 so that x·a + b = (x - mean)/std/input_scale + zero_point."""
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    std = np.where(std > 0, std, 1.0)  # a constant channel was normalized by 1
    a = 1.0 / (std * input_scale)
    b = input_zero_point - mean * a
    return a.astype(np.float32), b.astype(np.float32)


def spec_from_run(run, model: str | os.PathLike, smoothing: str = "none", smooth_n: int = 1) -> StreamSpec:
    """The stream spec of run directory `run` (a rundir.RunDir) and its int8 model."""
    if smoothing not in SMOOTHING:
        raise TinyDistillError(f"unknown smoothing {smoothing!r}; choose one of: {', '.join(SMOOTHING)}")
    if smooth_n < 1 or (smoothing == "none" and smooth_n != 1):
        raise TinyDistillError("smoothing needs n >= 1 results (and n = 1 without smoothing)")
    cfg = run.run_config
    channels = cfg.student_channels
    mean, std = run.normalization_for(channels)
    si, zi, so, zo, shape, outputs = model_quantization(model)
    window, hop = cfg.window, cfg.hop
    if int(np.prod(shape)) != window * len(channels):
        raise TinyDistillError(f"{model} takes input {shape}, not one window of {window} x {len(channels)}")
    task = cfg.task_spec
    labels = task.output_labels(str(label) for label in cfg.labels)
    if task.decision == "argmax" and len(labels) != outputs:
        raise TinyDistillError(f"the run names {len(labels)} labels but the model has {outputs} outputs")
    if smoothing != "none" and task.decision != "argmax":
        raise TinyDistillError("smoothing applies to classifiers only")
    a, b = affine(mean, std, si, zi)
    return StreamSpec(
        task=task.name, channels=channels, window=window, hop=hop, sample_rate_hz=cfg.sample_rate_hz, labels=labels,
        scale=tuple(float(v) for v in a), offset=tuple(float(v) for v in b),
        input_scale=float(np.float32(si)), input_zero_point=zi, output_scale=float(np.float32(so)),
        output_zero_point=zo, outputs=outputs, smoothing=smoothing, smooth_n=smooth_n,
        threshold=float(np.float32(cfg.threshold or 0.0)),
        normal_class=cfg.normal_class if task.decision == "threshold" and cfg.normal_class else None,
    )


def quantize(values: np.ndarray, a, b) -> np.ndarray:
    """The firmware's td_stream_quantize on every value: float32 x·a, + b, round half away, clamp."""
    x = np.asarray(values, dtype=np.float64).astype(np.float32)
    v = x * np.asarray(a, dtype=np.float32)
    v = v + np.asarray(b, dtype=np.float32)
    r = np.floor(np.abs(v) + np.float32(0.5)) * np.sign(v)
    r = np.where(np.isnan(v), 0, np.clip(np.nan_to_num(r), -128, 127))
    return r.astype(np.int8)


def window_ends(starts: np.ndarray, window: int, hop: int) -> list[int]:
    """Row indices at which the firmware runs an inference."""
    ends = []
    count = 0
    for i, start in enumerate(starts):
        count = 1 if start else count + 1
        if count >= window and (count - window) % hop == 0:
            ends.append(i)
    return ends


def _dequantize(q, scale: float, zero_point: int) -> np.float32:
    return (np.float32(q) - np.float32(zero_point)) * np.float32(scale)


def _reconstruction_error(out: np.ndarray, win: np.ndarray, spec: StreamSpec) -> np.float32:
    total = np.float32(0.0)
    for o, i in zip(out.ravel(), win.ravel()):  # in order, as the C loop accumulates
        d = _dequantize(o, spec.output_scale, spec.output_zero_point) - _dequantize(
            i, spec.input_scale, spec.input_zero_point)
        total = np.float32(total + np.float32(d * d))
    return np.float32(total / np.float32(out.size))


def reference(model: str | os.PathLike | bytes, spec: StreamSpec, stream: Stream) -> list[Inference]:
    """Every inference the firmware makes on `stream`, in order."""
    q = quantize(stream.values, spec.scale, spec.offset)
    ends = window_ends(stream.starts, spec.window, spec.hop)
    windows = np.stack([q[e - spec.window + 1:e + 1] for e in ends]) if ends else np.zeros((0, spec.window, 1))
    raws = oracle.run(model, windows).reshape(len(ends), -1) if ends else np.zeros((0, spec.outputs), np.int8)
    results = []
    history: list[np.ndarray] = []
    for e, raw, win in zip(ends, raws, windows):
        if stream.starts[e - spec.window + 1]:
            history = []  # a new recording: the firmware reset its smoothing
        decision = get_task(spec.task).decision
        if decision == "argmax":
            k = _decide(raw, spec, history)
            label, score = spec.labels[k], _dequantize(raw[k], spec.output_scale, spec.output_zero_point)
        elif decision == "value":
            label, score = "-", _dequantize(raw[0], spec.output_scale, spec.output_zero_point)
        else:
            score = (_dequantize(raw[0], spec.output_scale, spec.output_zero_point) if spec.outputs == 1
                     else _reconstruction_error(raw, win, spec))
            label = spec.labels[1 if score > np.float32(spec.threshold) else 0]
        results.append(Inference(t=int(e), raw=tuple(int(v) for v in raw), label=label, score=float(score)))
    return results


def _decide(raw: np.ndarray, spec: StreamSpec, history: list[np.ndarray]) -> int:
    """td_stream_decide: argmax (first on ties) of the raw, summed or voted results."""
    if spec.smoothing == "none":
        return int(np.argmax(raw))
    item = raw.astype(np.int32) if spec.smoothing == "average" else np.int32(np.argmax(raw))
    history.append(item)
    del history[:-spec.smooth_n]
    if spec.smoothing == "average":
        return int(np.argmax(np.sum(history, axis=0)))
    return int(np.argmax(np.bincount(np.array(history), minlength=spec.outputs)))


def truths(results: list[Inference], stream: Stream, spec: StreamSpec) -> list[str] | None:
    """The true decision of each inference: the `label` column at the window's newest sample (None without labels).

    The column may hold label names or class indices; for an anomaly detector, also
    the recordings' classes (normal_class is normal, every other an anomaly).
    """
    if stream.labels is None or get_task(spec.task).decision == "value":
        return None

    def truth(value: str) -> str:
        if spec.normal_class is not None and value not in spec.labels:
            return spec.labels[0] if value == spec.normal_class else spec.labels[1]
        if value not in spec.labels and value.lstrip("-").isdigit() and 0 <= int(value) < len(spec.labels):
            return spec.labels[int(value)]
        return value

    return [truth(stream.labels[r.t]) for r in results]


def accuracy(results: list[Inference], stream: Stream, spec: StreamSpec) -> float | None:
    """Share of decisions equal to their truth (see `truths`); None without labels or decisions."""
    truth = truths(results, stream, spec)
    if truth is None or not results:
        return None
    return sum(r.label == t for r, t in zip(results, truth)) / len(results)
