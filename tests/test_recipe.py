"""The training recipe (step budget, early stopping on validation, best weights restored),
the T/alpha selection grid and the transfer set."""

from __future__ import annotations

import numpy as np
import pytest

from tinydistill.errors import TinyDistillError
from tinydistill.training import recipe, selection, transfer


def test_step_budget_follows_the_data_size():
    small, mid, large = (recipe.step_budget(n, 32) for n in (120, 2000, 40000))
    assert small.steps >= recipe.MIN_STEPS          # 120 windows: far more than 60 epochs' 240 steps
    assert small.period >= recipe.MIN_PERIOD        # tiny epochs are grouped between validations
    assert small.period % recipe.compile_options(small)["steps_per_execution"] == 0
    assert mid.steps >= recipe.EPOCHS * mid.steps_per_epoch
    assert large.steps <= recipe.MAX_STEPS + large.period
    assert small.steps < mid.steps < large.steps or mid.steps <= large.steps
    assert recipe.step_budget(2000, 32).steps > recipe.step_budget(300, 32).steps


def test_students_get_a_longer_budget_than_teachers():
    for n in (120, 2000, 40000):
        teacher, student = recipe.step_budget(n, 32), recipe.step_budget(n, 32, role="student")
        assert student.steps >= recipe.STUDENT_MIN_STEPS > teacher.steps
        assert student.periods <= recipe.MAX_VALIDATIONS
    large = recipe.step_budget(40000, 32, role="student")
    assert recipe.STUDENT_MAX_STEPS <= large.steps < recipe.STUDENT_MAX_STEPS + large.period


def test_an_epoch_cap_trains_exactly_that_many_epochs():
    b = recipe.step_budget(120, 32, max_epochs=15)
    assert (b.periods, b.period, b.steps) == (15, 4, 60)


class _PeaksEarly:
    """A validation metric that peaks at the 2nd evaluation; records the weights it scored."""

    def __init__(self, model):
        self.model, self.calls, self.seen = model, 0, []
        self.curve = [0.2, 0.9, 0.5, 0.4, 0.3, 0.3, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]

    def describe(self, s):
        return {"accuracy": s[0]}

    def __call__(self):
        self.seen.append([w.copy() for w in self.model.get_weights()])
        value = self.curve[self.calls]
        self.calls += 1
        return {"val": (value,), "train": (value,)}


def test_early_stopping_restores_the_best_validation_weights():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    budget = recipe.step_budget(64, 16, max_epochs=16)
    model.compile(optimizer=recipe.optimizer(1e-2, budget),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  **recipe.compile_options(budget))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype(np.float32), rng.integers(0, 3, 64)
    validate = _PeaksEarly(model)
    history, info = recipe.fit(model, (x, y), model, validate, budget, seed=0, batch_size=16)
    assert info["best_epoch"] == 2
    assert int(model.optimizer.iterations) == info["steps"]  # the steps reported are the steps taken
    assert info["steps"] < budget.steps  # stopped early: patience ran out long before 16 epochs
    assert len(history["val_accuracy"]) == validate.calls == info["steps"] // budget.period
    for got, best in zip(model.get_weights(), validate.seen[1]):
        np.testing.assert_array_equal(got, best)
    assert not np.array_equal(model.get_weights()[0], validate.seen[-1][0])


def test_accuracy_ties_are_broken_by_cross_entropy():
    y = np.array([0, 1])
    confident = np.array([[5.0, 0.0], [0.0, 5.0]])
    hesitant = np.array([[0.1, 0.0], [0.0, 0.1]])
    assert selection.score("classify", y, confident)[0] == selection.score("classify", y, hesitant)[0] == 1.0
    assert selection.score("classify", y, confident) > selection.score("classify", y, hesitant)


def test_auto_grid_includes_alpha_zero_once_and_explicit_values_stay():
    points = selection.grid("auto", "auto")
    assert [a for _, a in points].count(0.0) == 1 and points[0][1] == 0.0
    assert len(points) == len(set(points)) == 1 + (len(selection.AUTO_ALPHAS) - 1) * len(selection.AUTO_TEMPERATURES)
    assert selection.grid(4.0, 0.7) == [(4.0, 0.7)]
    assert selection.grid("auto", 0.5) == [(t, 0.5) for t in selection.AUTO_TEMPERATURES]


@pytest.mark.parametrize("value, name, message", [("1.5", "alpha", "in \\[0, 1\\]"), ("hot", "temperature", "auto"),
                                                  (0, "temperature", "positive"), (True, "alpha", "should be float or auto")])
def test_bad_temperature_or_alpha_is_refused(value, name, message):
    high = 1.0 if name == "alpha" else None
    with pytest.raises(TinyDistillError, match=message):
        selection.parse_auto(value, name, 0.0, high)


def test_auto_and_numbers_parse():
    assert selection.parse_auto("AUTO", "alpha", 0.0, 1.0) == "auto"
    assert selection.parse_auto("0.25", "alpha", 0.0, 1.0) == 0.25


def test_best_prefers_the_first_on_ties():
    cands = [{"score": (0.9, -0.3)}, {"score": (0.9, -0.3)}, {"score": (0.8, -0.1)}]
    assert selection.best(cands) == 0


def test_transfer_windows_are_deterministic_and_shaped_like_the_training_windows():
    xt = np.random.default_rng(1).normal(size=(20, 32, 3)).astype(np.float32)
    a, b = transfer.augment(xt, 50, seed=3), transfer.augment(xt, 50, seed=3)
    assert a.shape == (50, 32, 3) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert np.isfinite(a).all()
    with pytest.raises(TinyDistillError, match="classify"):
        transfer.check("augment", "forecast")
    with pytest.raises(TinyDistillError, match="mixup needs soft targets"):
        transfer.check("mixup", "anomaly")


def test_mixup_batches_mix_every_input_and_the_labels_alike_and_repeat_per_seed():
    rng = np.random.default_rng(0)
    xs, xt = rng.normal(size=(16, 8, 2)).astype(np.float32), rng.normal(size=(16, 8, 3)).astype(np.float32)
    y = rng.integers(0, 4, 16)

    def first(seed):
        ds = recipe.batches({"student": xs, "teacher": xt}, y, 16, seed, mix_classes=4)
        x, yy = next(iter(ds))
        return {k: np.asarray(v) for k, v in x.items()}, np.asarray(yy)

    (x, yy), (x2, yy2), (x3, _) = first(5), first(5), first(6)
    np.testing.assert_array_equal(x["teacher"], x2["teacher"])
    np.testing.assert_array_equal(yy, yy2)
    assert not np.array_equal(x["teacher"], x3["teacher"])
    assert yy.shape == (16, 4) and np.allclose(yy.sum(axis=1), 1.0)
    # Each mixed row is lam * a + (1 - lam) * b for two rows a, b of the batch, with one lam for
    # the student's window, the teacher's window and the label: the student's channels are the
    # teacher's first two here, so the two mixtures must agree.
    xs_in_t = np.concatenate([xs, xt[..., 2:]], axis=-1)
    ds = recipe.batches({"student": xs_in_t[..., :2], "teacher": xs_in_t}, y, 16, 5, mix_classes=4)
    x, _ = next(iter(ds))
    np.testing.assert_allclose(np.asarray(x["student"]), np.asarray(x["teacher"])[..., :2], rtol=1e-6)


def test_candidates_share_one_distiller_yet_train_as_if_alone():
    """A candidate trained after others (same compiled Distiller) ends with the weights it gets from a fresh one:
    its initial weights, Adam's state and the learning-rate schedule start over."""
    import keras

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 8, 2)).astype(np.float32), rng.integers(0, 3, 64)
    z = rng.normal(size=(64, 3)).astype(np.float32)  # stand-in teacher logits, replayed by a lookup model
    inp = keras.Input((3,))
    lookup = keras.Model(inp, keras.layers.Identity(name="features")(inp))

    def build():
        i = keras.Input((8, 2))
        h = keras.layers.Dense(4, activation="relu", name="features")(keras.layers.Flatten()(i))
        return keras.Model(i, keras.layers.Dense(3)(h))

    budget = recipe.step_budget(64, 16, max_epochs=3)

    def trainer():
        return recipe.Candidates(build, lookup, "classify", 1e-2, budget, batch_size=16)

    def one(cands, t, a, seed):
        return cands.fit({"student": x, "teacher": z}, y, (x, y), (x[:16], y[:16]), temperature=t, alpha=a, seed=seed)

    shared = trainer()
    first = one(shared, 4.0, 0.9, seed=1)
    later = one(shared, 2.0, 0.0, seed=2)
    alone = one(trainer(), 2.0, 0.0, seed=2)
    for a, b in zip(later["model"].get_weights(), alone["model"].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert later["info"]["steps"] == alone["info"]["steps"] and later["score"] == pytest.approx(alone["score"])
    assert not np.allclose(first["model"].get_weights()[0], later["model"].get_weights()[0])
    assert (first["temperature"], first["alpha"], first["seed"]) == (4.0, 0.9, 1)


def test_a_live_teacher_is_left_out_of_the_alpha_zero_candidates_which_train_as_with_it():
    """With a teacher run on every batch (mixup batches), alpha = 0 candidates train without it (no
    teacher forward passes), to the weights they get with a zero-weighted teacher."""
    import keras

    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(64, 8, 2)).astype(np.float32), rng.integers(0, 3, 64)

    def build():
        i = keras.Input((8, 2))
        h = keras.layers.Dense(4, activation="relu", name="features")(keras.layers.Flatten()(i))
        return keras.Model(i, keras.layers.Dense(3)(h))

    teacher = build()
    budget = recipe.step_budget(64, 16, max_epochs=3)
    runs = {}
    for live in (False, True):
        cands = recipe.Candidates(build, teacher, "classify", 1e-2, budget, batch_size=16,
                                  mix_classes=3 if live else None)
        runs[live] = cands.fit({"student": x, "teacher": x}, y, (x, y), (x[:16], y[:16]), temperature=4.0,
                               alpha=0.0, seed=3)
        assert cands._distiller_for(build(), 4.0, 0.0)[1].uses_teacher is not live
        assert cands._distiller_for(build(), 4.0, 0.9)[1].uses_teacher
    for a, b in zip(runs[False]["model"].get_weights(), runs[True]["model"].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
