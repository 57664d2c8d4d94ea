"""tinydistill: distil time-series networks into int8 C for microcontrollers.

The steps of the command line as functions (see tinydistill/api.py and README's "Python API"):

    import tinydistill as td
    run = td.train(dataset="basic-motions", out="runs/bm")
    td.quantize(run); td.budget(run, target="cortex-m4"); td.export(run, target="esp32", out="fw/bm")

`import tinydistill` loads nothing heavy: TensorFlow is imported by the steps that train or convert.
"""

__version__ = "0.1.0"

_API = ("train", "quantize", "budget", "export", "emulate", "codegen")
__all__ = ["__version__", *_API]


def __getattr__(name):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'tinydistill' has no attribute {name!r}")
