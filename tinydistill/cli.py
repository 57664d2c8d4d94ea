"""The `tinydistill` command line: parses options, calls one library function, reports.

Library exceptions become messages without a traceback: TinyDistillError exits 2
(bad input or usage), CheckFailed exits 1 (a check ran and failed).
Library modules are imported inside the commands so that `--help` stays fast.
"""

from __future__ import annotations

import os
import sys

# TensorFlow's C++ start-up chatter is not for the user.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import click  # noqa: E402

from . import __version__  # noqa: E402
from .errors import TinyDistillError  # noqa: E402


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TinyDistillError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="tinydistill")
def cli():
    """Distil time-series neural networks into int8 C for microcontrollers.

    Example:

        tinydistill train --dataset basic-motions --out runs/bm
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="tinydistill", standalone_mode=True)


# ---------------------------------------------------------------- datasets, train (issue 2)

# ---------------------------------------------------------------- quantize, budget, evaluate (issue 4)

# ---------------------------------------------------------------- codegen (issues 5, 6)

# ---------------------------------------------------------------- export, emulate, hil (issue 7)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
