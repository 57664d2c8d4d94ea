"""The generated code base under -fsanitize=address,undefined (UBSan without recovery, so any
finding fails the run): every kernel file plus zoo models chosen to meet every opcode the
zoo meets, fixed and dynamic batch, still byte-exact with BUILTIN_REF."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_tools

from .zoo_build import SANITIZE, ZooResult, covering_subset, run_zoo

MAX_MODELS = 8


@pytest.mark.slow
def test_zoo_models_clean_under_sanitizers(zoo_converted, tmp_path):
    need_tools("gcc")
    keys = covering_subset(zoo_converted, MAX_MODELS)
    subset = {k: ZooResult(zoo_converted[k].description, zoo_converted[k].opcodes, zoo_converted[k].tflite)
              for k in keys}
    results = run_zoo(subset, tmp_path, SANITIZE, windows=8)  # check=True: a sanitizer finding raises
    met = {op for r in results.values() for op in r.opcodes}
    assert met == {op for r in zoo_converted.values() for op in r.opcodes}
    for key, r in results.items():
        assert r.refused is None, r.refused
        assert np.array_equal(r.got, r.expected), f"zoo {key} {r.description} differs under sanitizers"
