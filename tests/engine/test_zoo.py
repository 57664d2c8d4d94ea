"""The random-model zoo: 32 small Keras models, each converted with a fixed batch of 1 and the
default (dynamic batch) way, generated to C, built once into one program with gcc
-std=c99 -Wall -Wextra -Werror, driven through td_model_invoke (one prefix per model)
and compared byte for byte with BUILTIN_REF on random int8 windows.

Reproduce one failure: `build(seed, 1 or None)` in zoo_models.py gives the Keras model;
the fixtures are in tests/engine/conftest.py.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

from .zoo_build import N_MODELS, VARIANTS


@pytest.mark.slow
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("seed", range(N_MODELS))
def test_zoo_model_is_bit_exact(zoo, seed, variant):
    r = zoo[(seed, variant)]
    assert r.refused is None, f"zoo {seed} ({variant}) {r.description}: {r.refused}"
    same = np.all(r.got == r.expected, axis=1)
    assert same.all(), (f"zoo {seed} ({variant}) {r.description}: {int(same.sum())}/{len(same)} windows "
                        f"bit-exact; first mismatch window {int(np.argmin(same))}")


@pytest.mark.slow
def test_zoo_covers_the_op_set_and_the_dynamic_batch_patterns(zoo):
    """The zoo is only a proof if it meets every op of part 2 and both dynamic-batch patterns."""
    fixed = collections.Counter(op for (_, v), r in zoo.items() if v == "fixed" for op in r.opcodes)
    dynamic = collections.Counter(op for (_, v), r in zoo.items() if v == "dynamic" for op in r.opcodes)
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MEAN", "AVERAGE_POOL_2D", "MAX_POOL_2D",
               "REDUCE_MAX", "SOFTMAX", "LOGISTIC", "TANH", "ADD", "SUB", "MUL", "CONCATENATION", "PAD",
               "STRIDED_SLICE", "SPLIT", "UNPACK", "RELU"):
        assert fixed[op] + dynamic[op] > 0, f"no zoo model has {op}"
    for op in ("SHAPE", "PACK", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"):
        assert dynamic[op] > 0 and fixed[op] == 0, op
