"""The search space: a parameterized Conv1D student, and how a trial samples it.

A candidate is a plain dict of parameters (what Optuna stores for a trial), so a trial
can be rebuilt anywhere from the study database alone. The students use only the layers
the int8 pipeline accepts (Conv1D, SeparableConv1D, GlobalAveragePooling1D, Flatten,
Dense, fused ReLU; batch norm after a convolution, folded into it before conversion); the
default student of `train` (models.classify_student) is the point DEFAULT of this space, so a
search always has it to beat. Where the task has a streamable student family
(models.STREAMING_STUDENTS), padding "valid" samples it: convolutions that never pad a
window's edges, which the C engine runs incrementally when the strides divide the hop.
"""

from __future__ import annotations

FAMILIES = ("conv", "separable")  # separable: a Conv1D front, SeparableConv1D blocks after it
DEPTHS = (1, 2, 3)
WIDTHS = (4, 8, 12, 16, 24, 32, 48)
FIRST_KERNELS = (3, 5, 7, 9)
KERNELS = (3, 5)
FIRST_STRIDES = (1, 2, 4)
STRIDES = (1, 2)
GROWTHS = (1, 2)  # channels of the later blocks: width x growth
NORMS = (False, True)  # batch norm after each convolution while training (models.fold_batch_norm)
PADDINGS = ("same", "valid")  # valid: the streamable family (tasks with one in models.STREAMING_STUDENTS)
TEMPERATURE = (1.0, 8.0)  # log-uniform
ALPHA = (0.1, 0.95)

# models.classify_student at its default width: Conv1D(24, 5, stride 2) -> SeparableConv1D(48, 3).
DEFAULT = {"family": "separable", "depth": 2, "width": 24, "kernel_first": 5, "stride_first": 2,
           "kernel": 3, "stride": 1, "growth": 2, "batch_norm": True, "temperature": 4.0, "alpha": 0.9}


def streamable(task) -> bool:
    """Whether `task` (a name) has a streamable student family, so that padding is a dimension of its space."""
    from ..training.models import STREAMING_STUDENTS

    return task in STREAMING_STUDENTS


def suggest(trial, windows: tuple[int, ...], task: str) -> dict:
    """The candidate of an Optuna trial: the student's shape, its window and the distillation's T and alpha."""
    p = {"family": trial.suggest_categorical("family", FAMILIES),
         "depth": trial.suggest_categorical("depth", DEPTHS),
         "width": trial.suggest_categorical("width", WIDTHS),
         "kernel_first": trial.suggest_categorical("kernel_first", FIRST_KERNELS),
         "stride_first": trial.suggest_categorical("stride_first", FIRST_STRIDES),
         "kernel": trial.suggest_categorical("kernel", KERNELS),
         "stride": trial.suggest_categorical("stride", STRIDES),
         "growth": trial.suggest_categorical("growth", GROWTHS),
         "batch_norm": trial.suggest_categorical("batch_norm", NORMS),
         "temperature": trial.suggest_float("temperature", *TEMPERATURE, log=True),
         "alpha": trial.suggest_float("alpha", *ALPHA)}
    p["window"] = trial.suggest_categorical("window", tuple(windows))
    if streamable(task):
        p["padding"] = trial.suggest_categorical("padding", PADDINGS)
    return p


def default_candidate(window: int, task: str) -> dict:
    """The default student's parameters at `window` (enqueued as a study's first trial)."""
    return {**DEFAULT, "window": window} | ({"padding": "same"} if streamable(task) else {})


def describe(p: dict) -> str:
    """A short readable form: family, blocks (filters/kernel/stride), the window, and "valid" for the
    streamable family."""
    blocks = " ".join(f"{w}k{k}s{s}" for w, k, s in blocks_of(p))
    valid = " valid" if p.get("padding") == "valid" else ""
    return f"{p['family']}{' bn' if p.get('batch_norm') else ''}{valid} [{blocks}] W={p['window']}"


def blocks_of(p: dict) -> list[tuple[int, int, int]]:
    """(filters, kernel, stride) of each block."""
    later = p["width"] * p["growth"]
    return [(p["width"], p["kernel_first"], p["stride_first"])] + [(later, p["kernel"], p["stride"])] * (p["depth"] - 1)


def build_student(p: dict, input_shape, task, n_outputs: int):
    """The candidate's student as a keras.Model with logits (classify) or one value (forecast) out.

    Same conventions as tinydistill/training/models.py: one output and a layer named `features`;
    with p["batch_norm"] each convolution is followed by batch norm (models.fold_batch_norm folds it).
    """
    import keras
    from keras import layers

    from ..errors import TinyDistillError
    from ..tasks import get_task
    from ..training.models import conv_block

    task = get_task(task)
    if task.reconstructs:
        raise TinyDistillError("search covers the classify and forecast tasks; for anomaly use `tinydistill train`")
    padding = p.get("padding", "same")
    if padding == "valid":  # same padding keeps at least one row; valid may not
        steps = input_shape[0]
        for _, kernel, stride in blocks_of(p):
            steps = (steps - kernel) // stride + 1
        if steps < 1:
            raise TinyDistillError(f"{describe(p)}: its valid convolutions leave no output row of a "
                                   f"{input_shape[0]}-sample window")
    x = inp = keras.Input(input_shape, name="window")
    for i, (filters, kernel, stride) in enumerate(blocks_of(p)):
        conv = layers.SeparableConv1D if i and p["family"] == "separable" else layers.Conv1D
        x = conv_block(x, conv(filters, kernel, strides=stride, padding=padding, activation="relu", name=f"block{i}"),
                        bool(p.get("batch_norm")))
    if task.outputs_classes:
        x = layers.GlobalAveragePooling1D(name="features")(x)
        out = layers.Dense(n_outputs, name="logits")(x)
    else:
        x = layers.Flatten()(x)
        x = layers.Dense(2 * p["width"], activation="relu", name="features")(x)
        out = layers.Dense(1, name="forecast")(x)
    return keras.Model(inp, out, name="student")
