"""A zoo of random small Keras models for the C engine, reproducible from their seeds.

Each model comes from one seed: its family (1-D convs, depthwise/separable, 2-D convs,
dense stacks, branches joined by Add/Subtract/Multiply/Concatenate) and every
hyper-parameter (kernel sizes, strides, dilations, paddings, activations, depth
multipliers, pools, heads, the input range the model is calibrated for) are drawn
from numpy's generator seeded with it. `build(seed, batch_size)` gives the same model
(same weights) with a fixed batch of 1 or a dynamic batch (None), so both
conversions of one model can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FAMILIES = ("conv1d", "separable1d", "conv2d", "dense", "branches1d", "branches2d", "recurrent_slices")
ACTIVATIONS = (None, "relu", "relu6", "tanh", "sigmoid")


@dataclass(frozen=True)
class ZooModel:
    """One zoo entry: how to rebuild it and what it is made of (for failure messages)."""

    seed: int
    family: str
    input_shape: tuple[int, ...]
    input_low: float
    input_high: float
    description: str


def _act(rng) -> str | None:
    return ACTIVATIONS[rng.integers(len(ACTIVATIONS))]


def _conv1d_block(layers, rng, x, notes, allow_dilation=True):
    k = int(rng.integers(1, 6))
    filters = int(rng.integers(2, 9))
    dilation = int(rng.choice([1, 2, 3])) if allow_dilation and rng.random() < 0.5 else 1
    stride = 1 if dilation > 1 else int(rng.choice([1, 1, 2]))
    padding = str(rng.choice(["same", "valid"])) if x.shape[1] > (k - 1) * dilation + 2 else "same"
    act = _act(rng)
    kind = rng.random()
    if kind < 0.5:
        x = layers.Conv1D(filters, k, strides=stride, dilation_rate=dilation, padding=padding, activation=act)(x)
        notes.append(f"conv1d(f{filters},k{k},s{stride},d{dilation},{padding},{act})")
    elif kind < 0.75:
        mult = int(rng.integers(1, 4))
        x = layers.DepthwiseConv1D(k, strides=stride, dilation_rate=dilation, padding=padding, depth_multiplier=mult,
                                   activation=act)(x)
        notes.append(f"depthwise1d(k{k},m{mult},s{stride},d{dilation},{padding},{act})")
    else:
        mult = int(rng.integers(1, 3))
        x = layers.SeparableConv1D(filters, k, strides=stride, dilation_rate=dilation, padding=padding,
                                   depth_multiplier=mult, activation=act)(x)
        notes.append(f"separable1d(f{filters},k{k},m{mult},s{stride},d{dilation},{padding},{act})")
    return x


def _pool1d(layers, rng, x, notes):
    if x.shape[1] < 4 or rng.random() < 0.5:
        return x
    size = int(rng.integers(2, 4))
    stride = int(rng.integers(1, size + 1))
    padding = str(rng.choice(["same", "valid"]))
    if rng.random() < 0.5:
        notes.append(f"maxpool1d({size},{stride},{padding})")
        return layers.MaxPooling1D(size, strides=stride, padding=padding)(x)
    notes.append(f"avgpool1d({size},{stride},{padding})")
    return layers.AveragePooling1D(size, strides=stride, padding=padding)(x)


def _head(layers, rng, x, notes, n_out):
    choice = int(rng.integers(3))
    if x.shape[1] is not None and len(x.shape) == 3 and choice == 0:
        x = layers.GlobalAveragePooling1D()(x)
        notes.append("gap1d")
    elif len(x.shape) == 3 and choice == 1:
        x = layers.GlobalMaxPooling1D()(x)
        notes.append("gmp1d")
    elif len(x.shape) == 4 and choice == 0:
        x = layers.GlobalAveragePooling2D()(x)
        notes.append("gap2d")
    elif len(x.shape) == 4 and choice == 1:
        x = layers.GlobalMaxPooling2D()(x)
        notes.append("gmp2d")
    else:
        x = layers.Flatten()(x)
        notes.append("flatten")
    if rng.random() < 0.5:
        units = int(rng.integers(3, 12))
        act = _act(rng)
        x = layers.Dense(units, activation=act)(x)
        notes.append(f"dense({units},{act})")
    final = "softmax" if rng.random() < 0.4 else None
    notes.append(f"dense({n_out},{final})")
    return layers.Dense(n_out, activation=final)(x)


def _conv1d(layers, rng, x, notes):
    for _ in range(int(rng.integers(1, 4))):
        x = _conv1d_block(layers, rng, x, notes)
        x = _pool1d(layers, rng, x, notes)
    return x


def _separable1d(layers, rng, x, notes):
    mult = int(rng.integers(1, 4))
    k = int(rng.integers(2, 6))
    dilation = int(rng.choice([1, 2]))
    x = layers.DepthwiseConv1D(k, dilation_rate=dilation, padding="same", depth_multiplier=mult,
                               activation="relu6")(x)
    x = layers.Conv1D(int(rng.integers(3, 9)), 1, activation=_act(rng))(x)
    notes.append(f"depthwise1d(k{k},m{mult},d{dilation},same,relu6)+pointwise")
    if rng.random() < 0.5:
        x = layers.ReLU(max_value=6.0)(layers.BatchNormalization()(x))
        notes.append("batchnorm+relu6")
    return _pool1d(layers, rng, x, notes)


def _conv2d(layers, rng, x, notes):
    for _ in range(int(rng.integers(1, 3))):
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        dilation = (int(rng.choice([1, 2])), int(rng.choice([1, 2]))) if rng.random() < 0.4 else (1, 1)
        stride = (1, 1) if dilation != (1, 1) else (int(rng.choice([1, 2])), int(rng.choice([1, 2])))
        padding = str(rng.choice(["same", "valid"]))
        act = _act(rng)
        kind = rng.random()
        if kind < 0.4:
            f = int(rng.integers(2, 7))
            x = layers.Conv2D(f, (kh, kw), strides=stride, dilation_rate=dilation, padding=padding, activation=act)(x)
            notes.append(f"conv2d(f{f},k{kh}x{kw},s{stride},d{dilation},{padding},{act})")
        elif kind < 0.7:
            m = int(rng.integers(1, 3))
            x = layers.DepthwiseConv2D((kh, kw), strides=stride, dilation_rate=dilation, padding=padding,
                                       depth_multiplier=m, activation=act)(x)
            notes.append(f"depthwise2d(k{kh}x{kw},m{m},s{stride},d{dilation},{padding},{act})")
        else:
            f = int(rng.integers(2, 7))
            x = layers.SeparableConv2D(f, (kh, kw), strides=stride, dilation_rate=dilation, padding=padding,
                                       activation=act)(x)
            notes.append(f"separable2d(f{f},k{kh}x{kw},s{stride},d{dilation},{padding},{act})")
        if min(x.shape[1], x.shape[2]) >= 4 and rng.random() < 0.5:
            pool = layers.MaxPooling2D if rng.random() < 0.5 else layers.AveragePooling2D
            padding = str(rng.choice(["same", "valid"]))
            x = pool((2, 2), strides=(int(rng.integers(1, 3)), 2), padding=padding)(x)
            notes.append(f"{pool.__name__}(2x2,{padding})")
    return x


def _dense(layers, rng, x, notes):
    x = layers.Flatten()(x)
    notes.append("flatten")
    for _ in range(int(rng.integers(1, 4))):
        units = int(rng.integers(4, 24))
        act = _act(rng)
        x = layers.Dense(units, activation=act)(x)
        notes.append(f"dense({units},{act})")
    return x


def _branches(layers, rng, x, notes, two_d: bool):
    def branch():
        if two_d:
            k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
            d = (1, int(rng.choice([1, 2])))
            notes.append(f"conv2d(k{k},d{d},same)")
            return layers.Conv2D(filters, k, dilation_rate=d, padding="same", activation=_act(rng))(x)
        k = int(rng.integers(1, 6))
        d = int(rng.choice([1, 1, 2, 3]))
        notes.append(f"conv1d(k{k},d{d},same)")
        return layers.Conv1D(filters, k, dilation_rate=d, padding="same", activation=_act(rng))(x)

    filters = int(rng.integers(2, 7))
    a, b = branch(), branch()
    join = str(rng.choice(["add", "subtract", "multiply", "concatenate", "add_input"]))
    notes.append(join)
    if join == "add":
        y = layers.Add()([a, b])
    elif join == "subtract":
        y = layers.Subtract()([a, b])
    elif join == "multiply":
        y = layers.Multiply()([a, b])
    elif join == "concatenate":
        y = layers.Concatenate()([a, b])
    else:  # a residual connection from the model input
        y = layers.Add()([layers.Conv2D(x.shape[-1], 1)(a) if two_d else layers.Conv1D(x.shape[-1], 1)(a), x])
    if rng.random() < 0.5:
        y = layers.ReLU()(y)
        notes.append("relu")
    if not two_d and rng.random() < 0.5:
        pad = (int(rng.integers(0, 3)), int(rng.integers(1, 3)))
        y = layers.ZeroPadding1D(pad)(y)
        notes.append(f"zeropad1d{pad}")
    return y


def _recurrent_slices(layers, rng, x, notes):
    """What an unrolled recurrent layer becomes: per-step slices, gates (MUL/ADD/SUB), splits."""
    import keras

    units = int(rng.integers(2, 6))
    steps = keras.ops.unstack(x, axis=1)  # UNPACK: every step is used
    gate_in, cand_in = layers.Dense(units), layers.Dense(units)
    h = layers.Activation("tanh")(cand_in(steps[0]))
    for step in steps[1:]:  # a GRU-like update: h - z*h + z*tanh(W x)
        z = layers.Activation("sigmoid")(gate_in(step))
        c = layers.Activation("tanh")(cand_in(step))
        h = layers.Add()([layers.Subtract()([h, layers.Multiply()([z, h])]), layers.Multiply()([z, c])])
    parts = keras.ops.split(layers.Dense(2 * units)(x), 2, axis=-1)  # SPLIT
    mixed = layers.Multiply()([layers.Activation("sigmoid")(parts[0]), parts[1]])
    strided = x[:, 1::2, :]  # STRIDED_SLICE
    notes.append(f"unrolled gated cell({units}) + split + strided slice")
    return layers.Concatenate()([h, layers.GlobalMaxPooling1D()(mixed), layers.Flatten()(strided)])


def spec(seed: int) -> tuple[str, tuple[int, ...], float, float]:
    """Family, input shape and input range of the zoo model `seed`."""
    rng = np.random.default_rng([7, seed])
    family = FAMILIES[seed % len(FAMILIES)]
    if family in ("conv2d", "branches2d"):
        shape = (int(rng.integers(4, 11)), int(rng.integers(4, 11)), int(rng.integers(1, 4)))
    elif family == "recurrent_slices":  # unrolled: a few steps
        shape = (int(rng.integers(3, 9)), int(rng.integers(1, 5)))
    else:
        shape = (int(rng.integers(8, 33)), int(rng.integers(1, 7)))
    low = float(rng.choice([-1.0, -3.0, 0.0, -0.2]))
    high = float(rng.choice([1.0, 2.0, 5.0]))
    return family, shape, low, high


def build(seed: int, batch_size: int | None):
    """The Keras model of zoo entry `seed` (same weights for any batch size) and its ZooModel."""
    import keras

    layers = keras.layers
    family, shape, low, high = spec(seed)
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng([11, seed])
    notes: list[str] = []
    inp = keras.Input(shape, batch_size=batch_size)
    x = inp
    if family == "conv1d":
        x = _conv1d(layers, rng, x, notes)
    elif family == "separable1d":
        x = _separable1d(layers, rng, x, notes)
    elif family == "conv2d":
        x = _conv2d(layers, rng, x, notes)
    elif family == "dense":
        x = _dense(layers, rng, x, notes)
    elif family == "branches1d":
        x = _branches(layers, rng, x, notes, two_d=False)
    elif family == "branches2d":
        x = _branches(layers, rng, x, notes, two_d=True)
    else:
        x = _recurrent_slices(layers, rng, x, notes)
    out = _head(layers, rng, x, notes, int(rng.integers(2, 6))) if len(x.shape) > 2 else \
        layers.Dense(int(rng.integers(2, 6)), activation="softmax" if rng.random() < 0.4 else None)(x)
    model = keras.Model(inp, out, name=f"zoo{seed}")
    weights = np.random.default_rng([13, seed])
    model.set_weights([weights.normal(0.0, 0.4, w.shape).astype(np.float32) if w.ndim else w
                       for w in model.get_weights()])
    # BatchNormalization variances must stay positive.
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([gamma, beta, mean, np.abs(var) + 0.5])
    return model, ZooModel(seed, family, shape, low, high, " → ".join(notes))


def representative(entry: ZooModel, n: int = 32) -> np.ndarray:
    """Calibration windows spread over the entry's input range."""
    rng = np.random.default_rng([17, entry.seed])
    return rng.uniform(entry.input_low, entry.input_high, (n, *entry.input_shape)).astype(np.float32)


def convert(model, entry: ZooModel) -> bytes:
    """Full-int8 conversion the default way (from_keras_model; the batch as the model's Input says)."""
    from .builders import convert_default

    return convert_default(model, representative(entry))
