"""The C engine: int8 TFLite model → generated C99, bit-exact with the reference kernels.

Modules: ir (immutable IR), reader (flatbuffer → IR), quantization (TFLite's
multiplier arithmetic), planner (static arena), lowering (op → kernel call),
tables (activation tables), codegen (Jinja → files), check (host build + oracle).
"""


def supported_ops() -> dict[str, str]:
    """Op name → the options and limits the engine supports (for `codegen --list-ops`)."""
    from .lowering import SUPPORTED

    return dict(sorted(SUPPORTED.items()))
