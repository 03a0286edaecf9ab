"""sample_weight and class_weight in fit / train_on_batch / evaluate: Keras's semantics (each sample's loss
times its weight, summed over the batch, divided by the batch size), against torch and by hand."""

import re

import numpy as np
import pytest

import convkit as ck
from convkit import layers, losses, optimizers


def classifier(dtype="float64"):
    model = ck.Sequential(
        [
            layers.Dense(8, activation="tanh", input_shape=(4,), dtype=dtype),
            layers.Dense(3, dtype=dtype),
        ]
    )
    model.build(seed=0)
    return model


def data(rng, n=24):
    return rng.standard_normal((n, 4)), rng.integers(0, 3, size=n)


@pytest.mark.parametrize("loss", ["cross_entropy", losses.CrossEntropy(label_smoothing=0.1)], ids=str)
def test_fit_with_weights_matches_torch_weighted_loss(loss, rng, torch):
    """Ten steps of SGD on sum(weight * loss_i) / B in torch (reduction="none"), class and sample weights."""
    from convkit.interop import to_torch

    x, y = data(rng, 40)
    sample_weight = rng.uniform(0, 2, size=40)
    class_weight = {0: 0.5, 2: 3.0}  # class 1 weighs 1
    model = classifier()
    module = to_torch(model).train()
    model.compile(optimizer=optimizers.SGD(lr=0.2), loss=loss)
    history = model.fit(
        x, y, batch_size=4, epochs=1, shuffle=False, verbose=0,
        sample_weight=sample_weight, class_weight=class_weight,
    )  # fmt: skip
    torch_optimizer = torch.optim.SGD(module.parameters(), lr=0.2)
    weights = sample_weight * np.array([0.5, 1.0, 3.0])[y]
    smoothing = 0.1 if isinstance(loss, losses.CrossEntropy) else 0.0
    total = 0.0
    for start in range(0, 40, 4):
        batch = slice(start, start + 4)
        per_sample = torch.nn.functional.cross_entropy(
            module(torch.from_numpy(x[batch])), torch.from_numpy(y[batch]),
            reduction="none", label_smoothing=smoothing,
        )  # fmt: skip
        torch_loss = (per_sample * torch.from_numpy(weights[batch])).sum() / 4
        torch_optimizer.zero_grad()
        torch_loss.backward()
        torch_optimizer.step()
        total += torch_loss.item()
    assert history.history["loss"] == [pytest.approx(total / 10, rel=1e-10)]
    for ours, theirs in zip(to_torch(model).state_dict().values(), module.state_dict().values()):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_train_on_batch_weighs_the_loss_by_hand(rng):
    x, y = data(rng, 6)
    model = classifier()
    model.compile(optimizer=optimizers.SGD(lr=0.0))
    per_sample = np.array([ck.losses.get("cross_entropy")(model.predict(x[i : i + 1]), y[i : i + 1])[0]
                           for i in range(6)])  # fmt: skip
    weight = np.array([1.0, 0.0, 2.0, 1.0, 0.5, 3.0])
    assert model.train_on_batch(x, y, sample_weight=weight) == pytest.approx((per_sample * weight).sum() / 6)
    class_weight = {0: 2.0, 1: 0.0, 2: 1.0}
    expected = (per_sample * np.array([2.0, 0.0, 1.0])[y]).sum() / 6
    assert model.train_on_batch(x, y, class_weight=class_weight) == pytest.approx(expected)
    expected = (per_sample * weight * np.array([2.0, 0.0, 1.0])[y]).sum() / 6
    both = model.train_on_batch(x, y, sample_weight=weight, class_weight=class_weight)
    assert both == pytest.approx(expected)
    assert model.evaluate(x, y, sample_weight=weight, verbose=0)["loss"] == pytest.approx(
        (per_sample * weight).sum() / 6
    )
    assert model.train_on_batch(x, y) == pytest.approx(per_sample.mean())


def test_unit_weights_train_exactly_as_no_weights(rng):
    x, y = data(rng)
    plain, weighted = classifier(), classifier()
    for model in (plain, weighted):
        model.compile(optimizer="adam", metrics=["accuracy"])
    a = plain.fit(x, y, batch_size=5, epochs=2, verbose=0, seed=3)
    b = weighted.fit(x, y, batch_size=5, epochs=2, verbose=0, seed=3, sample_weight=np.ones(24))
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-13)
    for p, q in zip(plain.get_weights(), weighted.get_weights()):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-15)


def test_mse_sample_weight_and_validation_split_carries_the_weights(rng):
    x = rng.standard_normal((20, 4))
    target = rng.standard_normal((20, 3))
    weight = np.r_[np.ones(16), [0.0, 0.0, 2.0, 2.0]]
    model = classifier()
    model.compile(optimizer=optimizers.SGD(lr=0.0), loss="mse")
    history = model.fit(x, target, validation_split=0.2, sample_weight=weight, verbose=0)
    per_sample = ((model.predict(x[16:]) - target[16:]) ** 2).mean(axis=1)
    assert history.history["val_loss"] == [pytest.approx((per_sample * weight[16:]).sum() / 4)]
    with pytest.raises(ValueError, match="class_weight needs a loss on integer class labels"):
        model.fit(x, target, class_weight={0: 1.0}, verbose=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"sample_weight": np.ones(5)}, ValueError, "fit: sample_weight must have shape (24,)"),
        ({"sample_weight": -np.ones(24)}, ValueError, "fit: sample_weight must hold finite, non-negative"),
        ({"class_weight": [1.0, 2.0]}, TypeError, "fit: class_weight must be a dict {class index: weight}"),
        ({"class_weight": {3: 1.0}}, ValueError, "in [0, 3). Received: class_weight={3: 1.0}"),
        ({"class_weight": {"a": 1.0}}, TypeError, "int class indices. Received: class_weight={'a': 1.0}"),
        ({"class_weight": {0: -1.0}}, ValueError, "class_weight values must be finite, non-negative floats"),
        ({"class_weight": {0: "1"}}, TypeError, "values must be floats. Received: class_weight[0]='1'"),
    ],
)  # fmt: skip
def test_bad_weights(kwargs, error, message, rng):
    model = classifier()
    model.compile()
    x, y = data(rng)
    with pytest.raises(error, match=re.escape(message)):
        model.fit(x, y, verbose=0, **kwargs)


def test_weights_need_arrays_not_batches(rng):
    x, y = data(rng, 8)
    model = classifier()
    model.compile(optimizer="sgd", loss="cross_entropy")
    with pytest.raises(ValueError, match="fit: sample_weight and class_weight need arrays x and y"):
        model.fit([(x, y)], sample_weight=np.ones(8), verbose=0)


def test_held_out_samples_keep_their_weights_for_val_loss(rng):
    x, y = data(rng, 20)
    weights = np.r_[np.ones(15), np.zeros(5)]  # the last quarter, held out, weighs nothing
    model = classifier()
    model.compile(optimizer=optimizers.SGD(lr=0.0), loss="cross_entropy")
    history = model.fit(x, y, sample_weight=weights, validation_split=0.25, epochs=1, verbose=0)
    assert history.history["val_loss"] == [0.0]
