"""Teacher and student families for the three tasks, sized by a few readable knobs.

Every builder returns a functional keras.Model with one output and a layer named
`features` (the representation the hint loss matches). Conventions, decided once:

- Classification networks output **logits** while training (distillation needs them);
  `with_softmax()` appends a final `Softmax` layer, and that is what is saved as
  student.keras / teacher.keras / baseline.keras: saved models output probabilities,
  and the int8 model ends in SOFTMAX.
- Students use only layers that convert to full-int8 TFLite builtins: Conv1D,
  SeparableConv1D, Dense, GlobalAveragePooling1D, Flatten, Reshape, ReLU (fused).
  BatchNormalization appears only right after a convolution (`batch_norm=True`, then a ReLU)
  and is folded into it before the student is saved (`fold_batch_norm`): the saved student
  has no BatchNormalization layer. No recurrent, Lambda, Conv1DTranspose or UpSampling layers.
- Teachers may use anything (they stay on the host).
"""

from __future__ import annotations

import keras
from keras import layers


def classify_teacher(input_shape, n_classes: int, width: int = 64) -> keras.Model:
    """Three Conv1D blocks (width, 2w, 2w) with batch norm, pooled, a dense head: ~100k params at width 64."""
    x = inp = keras.Input(input_shape, name="window")
    for filters, kernel in ((width, 7), (2 * width, 5), (2 * width, 3)):
        x = layers.Conv1D(filters, kernel, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling1D(name="features")(x)
    x = layers.Dense(width, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(n_classes, name="logits")(x)
    return keras.Model(inp, out, name="teacher")


def conv_block(x, conv, batch_norm: bool):
    """`conv` (a Conv1D or SeparableConv1D layer with ReLU) on x; with `batch_norm`, the same
    convolution without bias or activation, then BatchNormalization, then ReLU (fold_batch_norm
    turns the three back into one convolution with bias and ReLU)."""
    if not batch_norm:
        return conv(x)
    cfg = conv.get_config() | {"use_bias": False, "activation": None}
    x = type(conv).from_config(cfg)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def classify_student(input_shape, n_classes: int, width: int = 24, batch_norm: bool = False) -> keras.Model:
    """Conv1D(width, 5, stride 2) -> SeparableConv1D(2w, 3) -> global average -> Dense logits.

    ~2.2k parameters at width 24 on 6 channels: fits a Cortex-M0+ with room to spare.
    `batch_norm` normalizes each convolution's output while training (folded away when saved).
    """
    x = inp = keras.Input(input_shape, name="window")
    x = conv_block(x, layers.Conv1D(width, 5, strides=2, padding="same", activation="relu"), batch_norm)
    x = conv_block(x, layers.SeparableConv1D(2 * width, 3, padding="same", activation="relu"), batch_norm)
    x = layers.GlobalAveragePooling1D(name="features")(x)
    out = layers.Dense(n_classes, name="logits")(x)
    return keras.Model(inp, out, name="student")


def classify_student_streaming(input_shape, n_classes: int, width: int = 24, batch_norm: bool = False) -> keras.Model:
    """The streamable twin of classify_student: the same layers with padding="valid".

    Valid padding never pads a window's edges, so each output row depends on samples of the
    stream only, and the C engine can run it incrementally (engine/streamability.py): each hop
    computes only the new rows. Hops must be a multiple of 2 (the first stride).
    """
    x = inp = keras.Input(input_shape, name="window")
    steps = input_shape[0]
    kernel = 5 if steps >= 12 else max(1, min(3, (steps - 1) // 2))  # short windows keep >= 1 row
    x = conv_block(x, layers.Conv1D(width, kernel, strides=2, padding="valid", activation="relu"), batch_norm)
    if x.shape[1] >= 3:
        x = conv_block(x, layers.SeparableConv1D(2 * width, 3, padding="valid", activation="relu"), batch_norm)
    else:
        x = conv_block(x, layers.Conv1D(2 * width, 1, activation="relu"), batch_norm)
    x = layers.GlobalAveragePooling1D(name="features")(x)
    out = layers.Dense(n_classes, name="logits")(x)
    return keras.Model(inp, out, name="student")


def forecast_teacher(input_shape, width: int = 64) -> keras.Model:
    """Two Conv1D layers over the (possibly longer, privileged) window, flattened, dense head."""
    x = inp = keras.Input(input_shape, name="window")
    x = layers.Conv1D(width, 3, padding="same", activation="relu")(x)
    x = layers.Conv1D(width, 3, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(width, activation="relu", name="features")(x)
    out = layers.Dense(1, name="forecast")(x)
    return keras.Model(inp, out, name="teacher")


def forecast_student(input_shape, width: int = 8) -> keras.Model:
    """Conv1D(width, 3) -> Flatten -> Dense(2w) -> Dense(1)."""
    x = inp = keras.Input(input_shape, name="window")
    x = layers.Conv1D(width, 3, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(2 * width, activation="relu", name="features")(x)
    out = layers.Dense(1, name="forecast")(x)
    return keras.Model(inp, out, name="student")


def anomaly_teacher(input_shape, width: int = 64) -> keras.Model:
    """Dense autoencoder 2w -> w/2 (bottleneck) -> 2w reconstructing the [W, C] window."""
    steps, channels = input_shape
    x = inp = keras.Input(input_shape, name="window")
    x = layers.Flatten()(x)
    x = layers.Dense(2 * width, activation="relu")(x)
    x = layers.Dense(max(width // 2, 4), activation="relu", name="features")(x)
    x = layers.Dense(2 * width, activation="relu")(x)
    x = layers.Dense(steps * channels)(x)
    out = layers.Reshape((steps, channels), name="reconstruction")(x)
    return keras.Model(inp, out, name="teacher")


def anomaly_student(input_shape, width: int = 8) -> keras.Model:
    """Dense autoencoder with one `width`-unit bottleneck: Flatten -> Dense -> Dense -> Reshape."""
    steps, channels = input_shape
    x = inp = keras.Input(input_shape, name="window")
    x = layers.Flatten()(x)
    x = layers.Dense(width, activation="relu", name="features")(x)
    x = layers.Dense(steps * channels)(x)
    out = layers.Reshape((steps, channels), name="reconstruction")(x)
    return keras.Model(inp, out, name="student")


_FAMILIES = {"classify": (classify_teacher, classify_student), "forecast": (forecast_teacher, forecast_student),
             "anomaly": (anomaly_teacher, anomaly_student)}


# Student families that the C engine can run incrementally over a stream (`train --streaming`).
STREAMING_STUDENTS = {"classify": classify_student_streaming}


def build(role: str, task, input_shape, n_classes: int, width: int, streaming: bool = False,
          batch_norm: bool = False) -> keras.Model:
    """The `role` ("teacher" or "student") network of `task` (a tasks.Task or its name); `streaming`
    picks the streamable student family (valid padding, global pooling before any Dense);
    `batch_norm` the classification students' batch-normalized convolutions."""
    from ..tasks import get_task

    task = get_task(task)
    fn = _FAMILIES[task.name][role == "student"]
    if streaming and role == "student":
        fn = STREAMING_STUDENTS[task.name]
    if task.outputs_classes:
        if role == "student":
            return fn(input_shape, n_classes, width, batch_norm=batch_norm)
        return fn(input_shape, n_classes, width)
    return fn(input_shape, width)


def with_features(model: keras.Model) -> keras.Model:
    """The same layers with two outputs: the model's output and its `features` layer.

    A model without a layer named `features` (a user's own) offers the input of its last layer.
    """
    names = {layer.name for layer in model.layers}
    features = model.get_layer("features").output if "features" in names else model.layers[-1].input
    return keras.Model(model.inputs, [model.outputs[0], features])


def from_user(model, role: str, input_shape, n_outputs: int, outputs_classes: bool) -> keras.Model:
    """A fresh copy of a user's Keras `model` (same layers, new initial weights), checked against the data.

    The copy trains; the user's object is left as it was. Classifiers must output logits:
    the project appends the softmax itself when it saves them.
    """
    from ..errors import TinyDistillError

    if not isinstance(model, keras.Model):
        raise TinyDistillError(f"the {role} must be a keras.Model, not {type(model).__name__}")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise TinyDistillError(f"the {role} has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
                               "give a model with one input window and one output")
    got = tuple(model.inputs[0].shape[1:])
    if got != tuple(input_shape):
        raise TinyDistillError(f"the {role} takes inputs of shape {got}, but its windows are {tuple(input_shape)} "
                               "(samples, channels); build it with keras.Input(shape=" + str(tuple(input_shape)) + ")")
    if outputs_classes:
        units = model.outputs[0].shape[-1]
        if units != n_outputs:
            raise TinyDistillError(f"the {role} outputs {units} values for {n_outputs} classes; "
                                   f"end it with Dense({n_outputs})")
        last = model.layers[-1]
        if isinstance(last, layers.Softmax) or getattr(getattr(last, "activation", None), "__name__", "") == "softmax":
            raise TinyDistillError(f"the {role} ends in a softmax; end it with a Dense layer without activation "
                                   "(logits): distillation needs logits, and the saved model gets its softmax")
    return keras.models.clone_model(model)


def with_softmax(model: keras.Model) -> keras.Model:
    """Append the final Softmax that turns logits into probabilities (the saved form)."""
    out = layers.Softmax(name="probabilities")(model.outputs[0])
    return keras.Model(model.inputs, out, name=model.name)


_FOLDABLE = (layers.Conv1D, layers.SeparableConv1D, layers.Dense)


def _folded(conv, norm, relu: bool):
    """A copy of `conv` (bias added) with BatchNormalization `norm` folded in, ReLU if `relu`."""
    import numpy as np

    weights = {w.path.split("/")[-1]: np.asarray(w) for w in conv.weights}
    stats = {w.path.split("/")[-1]: np.asarray(w, np.float64) for w in norm.weights}
    out = stats["moving_mean"].shape[0]
    scale = stats.get("gamma", np.ones(out)) / np.sqrt(stats["moving_variance"] + norm.epsilon)
    shift = stats.get("beta", np.zeros(out)) - stats["moving_mean"] * scale
    bias = weights.get("bias", np.zeros(out)) * scale + shift
    key = "pointwise_kernel" if isinstance(conv, layers.SeparableConv1D) else "kernel"
    weights[key] = weights[key] * scale  # the output channels are the last axis of every kernel
    cfg = conv.get_config() | {"use_bias": True, "activation": "relu" if relu else None}
    layer = type(conv).from_config(cfg)
    order = ("depthwise_kernel", "pointwise_kernel", "bias") if key == "pointwise_kernel" else ("kernel", "bias")
    return layer, [weights[k].astype(np.float32) if k != "bias" else bias.astype(np.float32) for k in order]


def fold_batch_norm(model: keras.Model) -> keras.Model:
    """`model` with every convolution -> BatchNormalization (-> ReLU) chain turned into one
    convolution with bias (and ReLU): the same function in inference mode, and only int8
    TFLite builtins when converted. Models that are not a plain chain of layers, or without
    such a pattern, come back unchanged."""
    import numpy as np

    chain = [layer for layer in model.layers if not isinstance(layer, layers.InputLayer)]  # Sequential has none
    if not any(isinstance(layer, layers.BatchNormalization) for layer in chain):
        return model
    x = inp = keras.Input(model.inputs[0].shape[1:], name=model.inputs[0].name)
    pending = []  # (new layer, its weights) set once built
    i = 0
    try:
        while i < len(chain):
            layer = chain[i]
            nxt = chain[i + 1] if i + 1 < len(chain) else None
            if (isinstance(layer, _FOLDABLE) and isinstance(nxt, layers.BatchNormalization)
                    and nxt.axis in (-1, [-1], len(nxt.input.shape) - 1, [len(nxt.input.shape) - 1])
                    and getattr(layer.activation, "__name__", "") == "linear"):
                after = chain[i + 2] if i + 2 < len(chain) else None
                relu = isinstance(after, layers.ReLU) and after.get_config().get("max_value") is None and \
                    not after.get_config().get("negative_slope") and not after.get_config().get("threshold")
                new, weights = _folded(layer, nxt, relu)
                i += 3 if relu else 2
            else:
                new = type(layer).from_config(layer.get_config())
                weights = layer.get_weights()
                i += 1
            x = new(x)
            pending.append((new, weights))
        folded = keras.Model(inp, x, name=model.name)
        for new, weights in pending:
            new.set_weights(weights)
    except (ValueError, TypeError, KeyError):  # not a chain this function understands
        return model
    probe = np.random.default_rng(0).normal(size=(8, *model.inputs[0].shape[1:])).astype(np.float32)
    want, got = np.asarray(model(probe, training=False)), np.asarray(folded(probe, training=False))
    if not np.allclose(want, got, rtol=1e-3, atol=1e-3 * max(1.0, float(np.abs(want).max()))):
        return model  # a branching model called as a chain computes something else: keep the original
    return folded


def count_params(model: keras.Model) -> int:
    """Trainable plus non-trainable parameters."""
    return int(model.count_params())


# Windows used to recompute batch-norm statistics: all of a small training set, an even
# subset of a large one (one forward pass holds their activations in memory).
RECALIBRATION_WINDOWS = 4096


def recalibrate_batch_norm(model: keras.Model, x) -> int:
    """Set every BatchNormalization layer's moving mean/variance to the statistics of windows `x`.

    Keras keeps exponential moving averages that lag the weights; on mnist1d they left
    the teacher misclassifying up to 12 % of its own training windows in inference mode
    (1 % with batch statistics), and the student then copied those mistakes. One
    full-batch pass in training mode with momentum 0 makes each layer's moving
    statistics exactly those of `x` (every earlier layer normalizes with the same
    full-batch statistics). Returns the number of layers recalibrated.
    """
    import numpy as np

    norms = [layer for layer in model._flatten_layers() if isinstance(layer, layers.BatchNormalization)]
    if not norms:
        return 0
    x = np.asarray(x, np.float32)
    x = x[np.unique(np.linspace(0, len(x) - 1, min(len(x), RECALIBRATION_WINDOWS)).astype(int))]
    momenta = [layer.momentum for layer in norms]
    try:
        for layer in norms:
            layer.momentum = 0.0
        model(x, training=True)
    finally:
        for layer, momentum in zip(norms, momenta):
            layer.momentum = momentum
    return len(norms)
