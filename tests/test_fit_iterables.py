"""fit on data given as an iterable of (x_batch, y_batch): lists, generators, steps_per_epoch, DataLoader."""

import numpy as np
import pytest

from convkit import Sequential, layers, optimizers
from convkit.epoch_iterator import BatchIterator


def make_data(n=24):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 3)).astype(np.float32), rng.integers(0, 2, size=n)


def batches(x, y, batch_size=8):
    return [(x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(x), batch_size)]


def make_model():
    model = Sequential([layers.Dense(4, input_shape=(3,)), layers.ReLU(), layers.Dense(2)])
    model.compile(optimizer=optimizers.SGD(lr=0.1), loss="cross_entropy", metrics=["accuracy"])
    model.build(seed=0)
    return model


def test_a_list_of_batches_trains_as_the_unshuffled_arrays():
    x, y = make_data()
    reference, model = make_model(), make_model()
    expected = reference.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, validation_data=(x, y))
    history = model.fit(batches(x, y), epochs=3, verbose=0, validation_data=batches(x, y, 5))
    assert history.history == expected.history
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_generator_with_steps_per_epoch_runs_on_across_epochs():
    x, y = make_data()

    def endless():
        while True:
            yield from batches(x, y)

    reference, model = make_model(), make_model()
    expected = reference.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0)
    history = model.fit(endless(), steps_per_epoch=3, epochs=4, verbose=0)
    assert history.history == expected.history


def test_steps_per_epoch_over_a_list_starts_new_passes():
    x, y = make_data()
    seen = []
    data = batches(x, y)
    iterator = BatchIterator(data, 2, 3, lambda xb, yb: (xb, yb), "x", "fit")
    for _ in range(3):
        seen += [yb for _, _, yb in iterator.enumerate_epoch()]
    expected = [b[1] for b in data] * 2
    assert len(seen) == 6 and all(np.array_equal(a, b) for a, b in zip(seen, expected))
    assert iterator.steps == 2


def test_a_generator_that_runs_out_stops_training_with_a_warning():
    x, y = make_data()
    model = make_model()
    with pytest.warns(RuntimeWarning, match="x ran out of batches"):
        history = model.fit(iter(batches(x, y)), steps_per_epoch=2, epochs=5, verbose=0)
    assert len(history.history["loss"]) == 2  # 3 batches: a full epoch, then one batch, then none


def test_a_one_shot_generator_needs_steps_per_epoch_for_several_epochs():
    x, y = make_data()
    model = make_model()
    with pytest.raises(ValueError, match="one-shot iterator .* steps_per_epoch"):
        model.fit(iter(batches(x, y)), epochs=2, verbose=0)
    assert len(model.fit(iter(batches(x, y)), epochs=1, verbose=0).history["loss"]) == 1
    with pytest.raises(ValueError, match="validation_data is a one-shot iterator"):
        model.fit(batches(x, y), epochs=2, verbose=0, validation_data=iter(batches(x, y)))


@pytest.mark.parametrize(
    "kwargs, error, text",
    [
        ({"x": np.ones((4, 3))}, ValueError, "y is required when x is an array"),
        ({"x": 3}, TypeError, "x must be an array with y given, or an iterable"),
        ({"x": [np.ones((4, 3))]}, TypeError, "x must yield pairs"),
        (
            {"x": [(np.ones((4, 3)), np.zeros(4, int))], "validation_split": 0.5},
            ValueError,
            "validation_split",
        ),
        ({"x": [(np.ones((4, 3)), np.zeros(4, int))], "steps_per_epoch": 0}, ValueError, "steps_per_epoch=0"),
        (
            {"x": np.ones((4, 3)), "y": np.zeros(4, int), "steps_per_epoch": 2},
            ValueError,
            "steps_per_epoch=2",
        ),
        ({"x": [(np.ones((4, 4)), np.zeros(4, int))]}, ValueError, r"x.shape=\(4, 4\)"),
        ({"x": [(np.ones((0, 3)), np.zeros(0, int))]}, ValueError, "empty batch"),
        (
            {"x": np.ones((4, 3)), "y": np.zeros(4, int), "validation_data": [np.ones((4, 3)), np.zeros(4)]},
            TypeError,
            "validation_data must yield pairs",
        ),
    ],
)
def test_bad_iterables(kwargs, error, text):
    with pytest.raises(error, match=text):
        make_model().fit(verbose=0, **kwargs)


def test_the_model_is_built_from_the_first_batch():
    x, y = make_data()
    model = Sequential([layers.Dense(2)])
    model.compile(optimizer="sgd", loss="cross_entropy")
    model.fit(batches(x, y), verbose=0, seed=0)
    assert model.input_shape == (3,)
