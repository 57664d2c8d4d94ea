"""The C engine: int8 TFLite model → generated C99, bit-exact with the reference kernels."""
