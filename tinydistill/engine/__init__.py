"""The C engine: int8 TFLite model → generated C99, bit-exact with the reference kernels.

Modules: ir (immutable IR), reader (flatbuffer → IR), fold (batch-1 and int8-I/O
rewrites), quantization (TFLite's multiplier arithmetic), planner (static arena),
lowering/ (op → kernel call, one module per op family, one registry), compiled
(fold + lower + plan: what codegen renders and the analysis counts), tables
(activation tables), c_literals, codegen (Jinja → files), check (host build + oracle).
No module here imports TensorFlow.
"""


def supported_ops() -> dict[str, str]:
    """Op name → the options and limits the engine supports (for `codegen --list-ops`)."""
    from .lowering import supported

    return supported()


def compile(model):  # noqa: A001 (the engine's one entry point)
    """Fold, lower and plan a model (path, bytes or IR) into a frozen CompiledModel; see compiled.py."""
    from .compiled import compile as _compile

    return _compile(model)
