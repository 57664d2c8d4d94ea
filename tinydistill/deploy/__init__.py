"""Deployment: int8 quantization, budgets per target, PlatformIO export, emulation and hardware-in-the-loop."""
