"""C literals written into generated sources compile and read back the same float32."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from tinydistill.engine.c_literals import c_float

VALUES = (1.0, 0.0, -3.0, 2.0**20, 0.1, -1.5e-7, 3.4028235e38, 123456789.0)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_float_literals_compile_and_round_trip(tmp_path):
    body = "\n".join(f'    printf("%a\\n", (double){c_float(v)});' for v in VALUES)
    (tmp_path / "lit.c").write_text(f"#include <stdio.h>\nint main(void) {{\n{body}\n    return 0;\n}}\n")
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-o", str(tmp_path / "lit"),
                    str(tmp_path / "lit.c")], check=True)
    out = subprocess.run([str(tmp_path / "lit")], check=True, capture_output=True, text=True).stdout.split()
    assert [float.fromhex(h) for h in out] == [float(np.float32(v)) for v in VALUES]
