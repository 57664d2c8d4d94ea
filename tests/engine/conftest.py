"""Engine test fixtures: the Keras test models and the random-model zoo, converted once per session."""

from __future__ import annotations

import pytest
from conftest import need_tools

from .builders import KERAS_MODEL_NAMES, keras_int8, keras_specs
from .zoo_build import ZooResult, convert_zoo, run_zoo


@pytest.fixture(scope="session")
def zoo_converted() -> dict[tuple[int, str], ZooResult]:
    """Every zoo model converted to full int8 with a fixed batch of 1 and the default way."""
    return convert_zoo()


@pytest.fixture(scope="session")
def zoo(zoo_converted, tmp_path_factory) -> dict[tuple[int, str], ZooResult]:
    """The zoo generated, built into one strict C99 program, run and compared inputs with BUILTIN_REF."""
    need_tools("gcc")
    fresh = {k: ZooResult(r.description, r.opcodes, r.tflite) for k, r in zoo_converted.items()}
    return run_zoo(fresh, tmp_path_factory.mktemp("zoo"))


@pytest.fixture(scope="session")
def keras_models() -> dict[str, bytes]:
    """Every Keras test model converted once per session."""
    specs = keras_specs()
    assert sorted(specs) == sorted(KERAS_MODEL_NAMES)
    return {name: keras_int8(shape, layers, seed=i) for i, (name, (shape, layers)) in enumerate(specs.items())}
