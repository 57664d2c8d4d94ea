"""tinydistill: distil time-series networks into int8 C for microcontrollers."""

__version__ = "0.1.0"
