"""Distillation losses against hand-computed numbers, and the Distiller's training contract."""

from __future__ import annotations

import numpy as np
import pytest

from tinydistill.training.distill import Distiller, regression_loss, soft_target_loss

# Student logits z_s = [1, 0, -1], teacher logits z_t = [0, 2, 0], true class 1.
# CE(y, softmax(z_s)) = log(e + 1 + 1/e) = 1.4076060
# KL(softmax(z_t/T) || softmax(z_s/T)):  T=1: 0.7420333   T=2: 0.2049418   T=4: 0.0508927
Z_S = np.array([[1.0, 0.0, -1.0]], np.float32)
Z_T = np.array([[0.0, 2.0, 0.0]], np.float32)
Y = np.array([1])
CE = 1.4076060
KL = {1.0: 0.7420333, 2.0: 0.2049418, 4.0: 0.0508927}


def _loss(alpha, temperature):
    return float(np.asarray(soft_target_loss(Y, Z_S, Z_T, temperature, alpha))[0])


def test_alpha_zero_is_plain_cross_entropy():
    assert _loss(0.0, 4.0) == pytest.approx(CE, rel=1e-5)


@pytest.mark.parametrize("temperature", [1.0, 2.0, 4.0])
def test_alpha_one_is_pure_imitation_scaled_by_t_squared(temperature):
    assert _loss(1.0, temperature) == pytest.approx(temperature ** 2 * KL[temperature], rel=1e-5)


def test_mixture_weights_hard_and_soft_terms():
    # 0.3 * 1.4076060 + 0.7 * 4 * 0.2049418 = 0.9961189
    assert _loss(0.7, 2.0) == pytest.approx(0.9961189, rel=1e-5)


def test_identical_logits_leave_only_the_hard_term():
    loss = float(np.asarray(soft_target_loss(Y, Z_S, Z_S, 3.0, 0.5))[0])
    assert loss == pytest.approx(0.5 * CE, rel=1e-5)


def test_unlabeled_transfer_windows_get_the_soft_term_only():
    # Label -1 (the transfer set): 0.7 * 4 * 0.2049418, no cross-entropy; labelled rows unchanged.
    loss = np.asarray(soft_target_loss(np.array([-1, 1]), np.repeat(Z_S, 2, 0), np.repeat(Z_T, 2, 0), 2.0, 0.7))
    assert loss[0] == pytest.approx(0.7 * 4 * KL[2.0], rel=1e-5)
    assert loss[1] == pytest.approx(0.9961189, rel=1e-5)
    assert float(np.asarray(soft_target_loss(np.array([-1]), Z_S, Z_T, 2.0, 0.0))[0]) == 0.0


def test_mixed_labels_weight_the_cross_entropy_of_each_class():
    # One-hot float labels give the integer labels' loss; a 0.3 / 0.7 mixture of classes 0 and 1
    # gives 0.3 * CE(class 0) + 0.7 * CE(class 1) in the hard term (alpha = 0.5 mixes in the soft term).
    one_hot = np.array([[0.0, 1.0, 0.0]], np.float32)
    assert float(np.asarray(soft_target_loss(one_hot, Z_S, Z_T, 2.0, 0.7))[0]) == pytest.approx(0.9961189, rel=1e-5)
    ce0 = CE - 1.0  # log-sum-exp minus the logit of class 0 (1) instead of class 1 (0)
    mixed = np.array([[0.3, 0.7, 0.0]], np.float32)
    loss = float(np.asarray(soft_target_loss(mixed, Z_S, Z_T, 2.0, 0.5))[0])
    assert loss == pytest.approx(0.5 * (0.3 * ce0 + 0.7 * CE) + 0.5 * 4 * KL[2.0], rel=1e-5)


def test_softmax_runs_over_the_last_axis():
    # The same example repeated over a time axis [batch, time, classes] gives the same per-step loss.
    zs, zt = np.repeat(Z_S[:, None], 3, axis=1), np.repeat(Z_T[:, None], 3, axis=1)
    loss = np.asarray(soft_target_loss(np.ones((1, 3), int), zs, zt, 2.0, 1.0))
    assert loss.shape == (1, 3)
    assert np.allclose(loss, 4 * KL[2.0], rtol=1e-5)


def test_regression_loss_mixes_truth_and_teacher():
    y = np.array([[1.0], [0.0]], np.float32)
    student = np.array([[0.5], [1.0]], np.float32)
    teacher = np.array([[1.0], [2.0]], np.float32)
    # plain: [(0.5)^2, 1^2] = [0.25, 1];  imitation: [(0.5)^2, 1^2] = [0.25, 1]
    assert np.allclose(regression_loss(y, student, teacher, 0.0), [0.25, 1.0])
    teacher = np.array([[0.5], [3.0]], np.float32)  # imitation: [0, 4]
    assert np.allclose(regression_loss(y, student, teacher, 0.25), [0.75 * 0.25, 0.75 * 1 + 0.25 * 4])


def _tiny_models(seed=0):
    import keras

    from tinydistill.training import models

    keras.utils.set_random_seed(seed)
    teacher = models.classify_teacher((16, 4), 3, width=8)
    student = models.classify_student((16, 2), 3, width=4)
    return teacher, student


@pytest.mark.slow
@pytest.mark.parametrize("hint", [0.0, 1.0])
def test_distillation_trains_the_student_and_never_the_teacher(hint):
    import keras

    rng = np.random.default_rng(0)
    xt = rng.normal(size=(64, 16, 4)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    teacher, student = _tiny_models()
    before_t = [w.copy() for w in teacher.get_weights()]
    before_s = [w.copy() for w in student.get_weights()]
    distiller = Distiller(student, teacher, "classify", temperature=2.0, alpha=0.5, hint_weight=hint)
    distiller.compile(optimizer=keras.optimizers.Adam(1e-2))
    # The student sees only the first two channels: the other two are privileged.
    history = distiller.fit({"student": xt[..., :2], "teacher": xt}, y, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    for a, b in zip(before_t, teacher.get_weights()):
        np.testing.assert_array_equal(a, b)  # BatchNorm statistics included
    assert any(not np.array_equal(a, b) for a, b in zip(before_s, student.get_weights()))
    assert (distiller.regressor is not None) == (hint > 0)


def test_batch_norm_recalibration_makes_inference_use_the_training_statistics():
    import keras

    from tinydistill.training.models import recalibrate_batch_norm

    keras.utils.set_random_seed(0)
    inp = keras.Input((16, 3))
    x = keras.layers.Conv1D(4, 3, use_bias=False)(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Conv1D(2, 3)(keras.layers.ReLU()(x))
    out = keras.layers.BatchNormalization()(x)
    model = keras.Model(inp, out)
    windows = np.random.default_rng(0).normal(3.0, 2.0, (64, 16, 3)).astype(np.float32)
    # Fresh moving statistics (mean 0, variance 1) are far from the data's: inference differs from training mode.
    assert not np.allclose(model(windows, training=False), model(windows, training=True), atol=1e-3)
    momenta = [layer.momentum for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert recalibrate_batch_norm(model, windows) == 2
    np.testing.assert_allclose(model(windows, training=False), model(windows, training=True), atol=1e-3)
    assert [layer.momentum for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)] == momenta


@pytest.mark.parametrize("temperature, alpha", [(2.0, 0.0), (4.0, 0.9)])
def test_a_tunable_distiller_computes_the_loss_of_a_fixed_one(temperature, alpha):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 16, 4)).astype(np.float32)
    x = {"student": x[..., :2], "teacher": x}
    y = rng.integers(0, 3, 8)
    teacher, student = _tiny_models()
    fixed = Distiller(student, teacher, "classify", temperature=temperature, alpha=alpha)
    tunable = Distiller(student, teacher, "classify", tunable=True)
    tunable.set_mixture(temperature, alpha)
    losses = [float(d.compute_loss(x, y, d(x))) for d in (fixed, tunable)]
    assert losses[1] == pytest.approx(losses[0], rel=1e-5)
