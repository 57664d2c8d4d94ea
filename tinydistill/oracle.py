"""The reference interpreter (LiteRT with the BUILTIN_REF kernels): the oracle for int8 outputs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def interpreter(model: str | os.PathLike | bytes):
    """A LiteRT interpreter with the reference kernels, tensors allocated."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    kwargs = {"model_content": model} if isinstance(model, bytes) else {"model_path": str(Path(model))}
    interp = Interpreter(**kwargs, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    return interp


def run(model: str | os.PathLike | bytes, inputs: np.ndarray) -> np.ndarray:
    """Run the model on a batch of inputs (one per row; each of the model's input shape).

    Returns the outputs stacked in the same order, in the output tensor's dtype.
    """
    interp = interpreter(model)
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    results = []
    for x in inputs:
        interp.set_tensor(inp["index"], np.asarray(x, dtype=inp["dtype"]).reshape(inp["shape"]))
        interp.invoke()
        results.append(interp.get_tensor(out["index"]).copy())
    return np.stack(results) if results else np.zeros((0, *out["shape"]), dtype=out["dtype"])
