"""The engine's immutable intermediate representation of a TFLite model.

The reader (reader.py) turns a flatbuffer into these frozen dataclasses; the
planner, the lowering and the per-layer analysis work on them only, never on the
flatbuffer. Indices are the flatbuffer's tensor indices; -1 marks an absent
optional input (e.g. a convolution without bias).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

# Bytes per element of the dtypes the engine meets (names as numpy spells them).
ITEMSIZE = {"int8": 1, "uint8": 1, "bool": 1, "int16": 2, "float16": 2, "int32": 4, "float32": 4, "int64": 8,
            "float64": 8}


@dataclass(frozen=True)
class Quantization:
    """Affine quantization `real = scale * (q - zero_point)`.

    One scale/zero point per tensor, or one per channel along `dimension`.
    """

    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    dimension: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@dataclass(frozen=True)
class Tensor:
    """A tensor: shape, dtype name ("int8", "int32", "float32", ...), quantization, constant data."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: Quantization | None = None
    data: bytes | None = field(default=None, repr=False)
    # The shape with -1 where the converter left a dimension dynamic (batch), if it says.
    shape_signature: tuple[int, ...] | None = None

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * ITEMSIZE.get(self.dtype, 1)

    def array(self) -> np.ndarray:
        """The constant data as a numpy array of the tensor's shape (read-only)."""
        if self.data is None:
            raise ValueError(f"tensor {self.name!r} is not a constant")
        arr = np.frombuffer(self.data, dtype=np.dtype(self.dtype).newbyteorder("<"))
        return arr.reshape(self.shape) if self.shape else arr.reshape(())

    @property
    def scale(self) -> float:
        """The per-tensor scale (the first one when per-channel)."""
        return self.quant.scale[0] if self.quant else 0.0

    @property
    def zero_point(self) -> int:
        return self.quant.zero_point[0] if self.quant else 0


@dataclass(frozen=True)
class Operator:
    """One op of the graph in execution order.

    `opcode` is the TFLite builtin name ("CONV_2D", "MEAN", ...; "CUSTOM:<name>" for
    custom ops). `options` maps snake_case option names to values; enums become
    their names ("SAME", "RELU6"), arrays become tuples. `layer` is the Keras layer
    the op came from when the tensor names say so (else None).
    """

    index: int
    opcode: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    version: int = 1
    layer: str | None = None

    def option(self, name: str, default=None):
        return self.options.get(name, default)


@dataclass(frozen=True)
class Model:
    """A whole model: tensors indexed by position, operators in execution order."""

    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    sha256: str
    description: str = ""

    def tensor(self, index: int) -> Tensor:
        if index < 0:  # -1 marks an absent input; Python's wrap-around would pick another tensor
            raise IndexError(f"tensor index {index}: an absent optional input")
        return self.tensors[index]

    def op_inputs(self, op: Operator) -> list[Tensor | None]:
        """The op's input tensors, None for absent optional inputs."""
        return [self.tensors[i] if i >= 0 else None for i in op.inputs]

    def op_outputs(self, op: Operator) -> list[Tensor]:
        return [self.tensors[i] for i in op.outputs]

    @property
    def input(self) -> Tensor:
        """The first (for our models: the only) input tensor."""
        return self.tensors[self.inputs[0]]

    @property
    def output(self) -> Tensor:
        return self.tensors[self.outputs[0]]
