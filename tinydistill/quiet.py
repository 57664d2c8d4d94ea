"""Keep TensorFlow's C++ log lines (start-up notices, converter chatter) away from the user.

TF_CPP_MIN_LOG_LEVEL does not reach what absl prints before InitializeLog() nor the
converter's own prints, so file descriptor 2 is parked around those calls; what was
written is replayed when the call fails, so no error message is lost.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_parked(replay_on_error: bool = True) -> Iterator[None]:
    """Discard what native code writes to fd 2 inside the block; replay it if the block raises.

    `replay_on_error=False` suits calls whose exception already carries the message.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            log.seek(0)
            if replay_on_error:
                sys.stderr.write(log.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def import_tensorflow() -> None:
    """Import TensorFlow once per process without its start-up notices."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with native_stderr_parked():
        import tensorflow  # noqa: F401
