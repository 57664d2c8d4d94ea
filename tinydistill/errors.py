"""The library's exceptions. The CLI maps them to exit codes without a traceback."""


class TinyDistillError(Exception):
    """Bad input or usage: the message says what is wrong and what to do (exit 2)."""

    exit_code = 2


class CheckFailed(TinyDistillError):
    """A check ran and failed: over budget, accuracy drop, mismatch (exit 1)."""

    exit_code = 1


class ToolchainMissing(TinyDistillError):
    """A compiler or emulator is not installed; the message names the package (exit 2)."""

    exit_code = 2


class UnsupportedModel(TinyDistillError):
    """A model uses an op or option the C engine cannot generate (exit 2)."""

    exit_code = 2
