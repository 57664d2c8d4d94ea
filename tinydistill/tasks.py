"""The three tasks — classify, forecast, anomaly — as one registry of what differs between them.

Every module asks its Task instead of comparing task strings: the loss, how `y` is made,
the metrics and which way is better, the allowed int8 drop, the decision on the device,
the output label names and the C constant the firmware is compiled with.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import TinyDistillError


@dataclass(frozen=True)
class Metric:
    """A metrics.json key and which way is better."""

    name: str
    higher_is_better: bool


@dataclass(frozen=True)
class Task:
    """What one task means from training to the firmware."""

    name: str
    loss: str                 # "soft_targets" (Hinton, on logits) or "mse" (teacher output as soft target)
    target: str               # y of splits.npz: "class" ids, "anomalous" 0/1, "future" normalized value
    reconstructs: bool        # the model's target is its own input window (autoencoder)
    metrics: tuple[Metric, ...]
    primary: str              # the metric the int8 drop is measured on
    table: tuple[str, ...]    # the metrics `train` prints side by side
    max_drop: float           # default allowed int8 drop, in drop_unit
    drop_unit: str
    relative_drop: bool       # drop in % of the float metric, else in points (× 100)
    decision: str             # on the device: "argmax" (smoothable), "value" (no label), "threshold"
    fixed_labels: tuple[str, ...] | None  # output names independent of the data's classes
    widths: tuple[int, int]   # default (teacher, student) width knobs
    c_value: int              # TD_STREAM_TASK in the firmware; the values are a C ABI: never renumber

    @property
    def c_macro(self) -> str:
        return f"TD_TASK_{self.name.upper()}"

    @property
    def higher_is_better(self) -> dict[str, bool]:
        return {m.name: m.higher_is_better for m in self.metrics}

    @property
    def predicts(self) -> bool:
        """The target is a channel's future value (the run has a `predict_channel`)."""
        return self.target == "future"

    @property
    def outputs_classes(self) -> bool:
        """The model's output is one logit per class (saved with a final softmax)."""
        return self.loss == "soft_targets"

    def output_labels(self, classes) -> tuple[str, ...]:
        """The names of the model's decisions, from the data's class names."""
        return self.fixed_labels if self.fixed_labels is not None else tuple(classes)

    def int8_drop(self, float_value: float, int8_value: float) -> float:
        """How much worse int8 is on the primary metric, in drop_unit (positive = worse)."""
        f, q = float(float_value), float(int8_value)
        if self.relative_drop:  # an error metric: relative increase
            return (q - f) / f * 100.0 if f > 0 else (0.0 if q == f else float("inf"))
        return (f - q) * 100.0 if self.higher_is_better[self.primary] else (q - f) * 100.0


_ACCURACY = Metric("accuracy", True)

TASKS: dict[str, Task] = {t.name: t for t in (
    Task("classify", loss="soft_targets", target="class", reconstructs=False, metrics=(_ACCURACY,),
         primary="accuracy", table=("accuracy",), max_drop=2.0, drop_unit="accuracy points", relative_drop=False,
         decision="argmax", fixed_labels=None, widths=(64, 24), c_value=0),
    Task("forecast", loss="mse", target="future", reconstructs=False,
         metrics=(Metric("mae", False), Metric("mae_raw", False), Metric("rise_accuracy", True)),
         primary="mae", table=("mae", "rise_accuracy"), max_drop=10.0, drop_unit="% MAE increase",
         relative_drop=True, decision="value", fixed_labels=None, widths=(64, 8), c_value=1),
    Task("anomaly", loss="mse", target="anomalous", reconstructs=True, metrics=(Metric("auc", True), _ACCURACY),
         primary="auc", table=("auc",), max_drop=2.0, drop_unit="AUC points", relative_drop=False,
         decision="threshold", fixed_labels=("normal", "anomaly"), widths=(64, 8), c_value=2),
)}

TASK_NAMES = tuple(TASKS)


def get_task(name: str | Task) -> Task:
    """The Task named `name` (a Task passes through); unknown names say which exist."""
    if isinstance(name, Task):
        return name
    try:
        return TASKS[name]
    except (KeyError, TypeError):
        raise TinyDistillError(f"unknown task {name!r}; choose one of: {', '.join(TASKS)}") from None


def c_macros() -> list[tuple[str, int]]:
    """(macro, value) of every task, for `#define TD_TASK_CLASSIFY 0` and friends."""
    return [(t.c_macro, t.c_value) for t in TASKS.values()]
