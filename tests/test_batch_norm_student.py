"""Batch-normalized students (`train --batch-norm`): batch norm trains, then folds into its
convolution, so the saved student computes the same function with only int8 builtins."""

from __future__ import annotations

import numpy as np
import pytest


def _trained(fn, batch_norm=True, shape=(32, 6)):
    import keras

    keras.utils.set_random_seed(0)
    model = fn(shape, 4, 8, batch_norm=batch_norm)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, *shape)).astype(np.float32)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, rng.integers(0, 4, len(x)), epochs=2, batch_size=16, verbose=0)  # moving statistics move
    return model, x


@pytest.mark.parametrize("family", ["classify_student", "classify_student_streaming"])
def test_folding_keeps_the_function_and_drops_every_batch_norm(family):
    import keras

    from tinydistill.training import models

    model, x = _trained(getattr(models, family))
    folded = models.fold_batch_norm(model)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in folded.layers)
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers) == 2
    np.testing.assert_allclose(folded(x), model(x, training=False), rtol=1e-4, atol=1e-4)
    # Deployed size: the folded student has the plain family's parameters (a bias per convolution).
    plain = getattr(models, family)((32, 6), 4, 8, batch_norm=False)
    assert folded.count_params() == plain.count_params() < model.count_params()


def test_the_folded_student_converts_to_the_plain_family_s_int8_operators():
    from tinydistill.deploy.quantize import convert_int8
    from tinydistill.engine import compile
    from tinydistill.engine.reader import read_bytes
    from tinydistill.training import models

    def opcodes(keras_model):
        return [op.opcode for op in read_bytes(convert_int8(models.with_softmax(keras_model), x)).operators]

    model, x = _trained(models.classify_student)
    plain, _ = _trained(models.classify_student, batch_norm=False)
    assert opcodes(models.fold_batch_norm(model)) == opcodes(plain)
    assert compile(convert_int8(models.with_softmax(models.fold_batch_norm(model)), x)).calls


def test_a_user_s_sequential_student_folds_too():
    import keras

    from tinydistill.training.models import fold_batch_norm

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((16, 3)), keras.layers.Conv1D(4, 3, use_bias=False),
                              keras.layers.BatchNormalization(), keras.layers.ReLU(),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(32, 16, 3)).astype(np.float32)
    model(x, training=True)
    folded = fold_batch_norm(model)
    assert [type(layer).__name__ for layer in folded.layers] == ["InputLayer", "Conv1D", "GlobalAveragePooling1D",
                                                                 "Dense"]
    np.testing.assert_allclose(folded(x), model(x, training=False), rtol=1e-4, atol=1e-4)


def test_a_model_that_is_not_a_chain_comes_back_unchanged():
    import keras

    from tinydistill.training.models import fold_batch_norm

    inp = keras.Input((16, 3))
    a = keras.layers.Conv1D(4, 3, padding="same")(inp)
    b = keras.layers.BatchNormalization()(a)
    out = keras.layers.Add()([keras.layers.ReLU()(b), a])  # the convolution feeds two layers
    model = keras.Model(inp, out)
    assert fold_batch_norm(model) is model


@pytest.mark.slow
def test_train_with_batch_norm_saves_the_folded_student_and_records_the_option(tmp_path):
    import keras
    from click.testing import CliRunner

    from tinydistill.cli import cli
    from tinydistill.rundir import open_run

    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["train", "--dataset", "basic-motions", "--batch-norm", "--epochs", "2",
                                      "--teacher-epochs", "1", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    run = open_run(out)
    assert run.config["hyperparameters"]["batch_norm"] is True
    for role in ("student", "baseline"):
        saved = run.load_model(role)
        assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in saved.layers)
        assert run.metrics[role]["params"] == saved.count_params()
