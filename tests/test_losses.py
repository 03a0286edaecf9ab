"""convkit.losses: the loss objects, their registry and round trips, and compile with them."""

import json
import warnings

import numpy as np
import pytest

import convkit as ck
from convkit import layers, losses
from convkit.functional import bce_with_logits, huber_loss, l1_loss, mse_loss, softmax_cross_entropy
from convkit.functional.losses import sparse_categorical_crossentropy

# every registered loss class: (an instance with non-default arguments, prediction, target, the function
# and keyword arguments it must equal)
LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [1.0, 1.0, -3.0]])
PROBS = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.5, 0.0]])
LABELS = np.array([0, 2, 1])
CASES = {
    "CrossEntropy": (
        losses.CrossEntropy(label_smoothing=0.2),
        LOGITS,
        LABELS,
        softmax_cross_entropy,
        {"label_smoothing": 0.2},
    ),
    "SparseCategoricalCrossentropy": (
        losses.SparseCategoricalCrossentropy(),
        PROBS,
        LABELS,
        sparse_categorical_crossentropy,
        {},
    ),
    "MSE": (losses.MSE(), PROBS, LOGITS, mse_loss, {}),
    "BCEWithLogits": (losses.BCEWithLogits(), LOGITS, PROBS, bce_with_logits, {}),
    "L1": (losses.L1(), PROBS, LOGITS, l1_loss, {}),
    "Huber": (losses.Huber(delta=0.5), PROBS, LOGITS, huber_loss, {"delta": 0.5}),
}


def test_every_loss_class_has_a_case():
    assert set(losses.LOSS_CLASSES) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_objects_are_their_functional_loss(name, weighted):
    loss, pred, target, function, kwargs = CASES[name]
    weight = np.array([1.0, 0.0, 2.0]) if weighted else None
    value, grad = loss(pred, target, sample_weight=weight)
    expected_value, expected_grad = function(pred, target, weight, **kwargs)
    assert value == expected_value
    np.testing.assert_array_equal(grad, expected_grad)


@pytest.mark.parametrize("name", sorted(CASES))
def test_serialize_round_trips_through_json(name):
    loss = CASES[name][0]
    config = json.loads(json.dumps(losses.serialize(loss)))
    assert config == {"class_name": name, "config": loss.get_config()}
    rebuilt = losses.deserialize(config)
    assert type(rebuilt) is type(loss) and rebuilt == loss and rebuilt is not loss
    assert losses.get(config) == loss


def test_kinds():
    assert losses.kind("cross_entropy") == losses.LossKind(labels=True, logits=True)
    assert losses.kind("sparse_categorical_crossentropy") == losses.LossKind(labels=True, logits=False)
    assert losses.kind("mse") == losses.LossKind()
    assert losses.kind(losses.CrossEntropy()) == losses.LossKind(True, True)
    assert losses.kind(losses.SparseCategoricalCrossentropy(from_logits=True)) == losses.LossKind(True, True)
    assert losses.kind(losses.MSE()) == losses.LossKind()


def test_the_string_means_the_default_object():
    name_value = losses.get("sparse_categorical_crossentropy")(PROBS, LABELS)
    object_value = losses.SparseCategoricalCrossentropy()(PROBS, LABELS)
    assert name_value[0] == object_value[0]


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"CrossEntropy: label_smoothing must be a float in \[0.0, 1.0\]"):
        losses.CrossEntropy(label_smoothing=-0.1)
    with pytest.raises(TypeError, match="from_logits must be a bool. Received: from_logits=1"):
        losses.SparseCategoricalCrossentropy(from_logits=1)
    with pytest.raises(TypeError, match="loss must be a name, a convkit.losses.Loss"):
        losses.get(3)
    with pytest.raises(ValueError, match="unknown loss class 'Hinge'"):
        losses.deserialize({"class_name": "Hinge", "config": {}})


def classifier(last=None):
    stack = [layers.Dense(3, input_shape=(4,), seed=0, dtype="float64")]
    return ck.Sequential(stack + ([last] if last is not None else []))


@pytest.mark.parametrize(
    "loss", [losses.CrossEntropy(0.1), losses.SparseCategoricalCrossentropy(), losses.MSE()], ids=repr
)
def test_compile_with_a_loss_object_trains_and_round_trips(loss, tmp_path, rng):
    model = classifier(layers.Softmax(dtype="float64") if not loss.from_logits else None)
    is_mse = isinstance(loss, losses.MSE)
    model.compile(optimizer="sgd", loss=loss, metrics=[] if is_mse else ["accuracy"])
    x = rng.standard_normal((16, 4))
    y = rng.standard_normal((16, 3)) if is_mse else rng.integers(0, 3, size=16)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, seed=0)
    model.save(tmp_path / "m.npz")
    loaded = ck.load_model(tmp_path / "m.npz")
    assert loaded.loss == loss and loaded.loss is not loss
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_probabilities_loss_on_softmax_trains_as_logits_cross_entropy(rng):
    """Dense + Softmax with "sparse_categorical_crossentropy" takes the same steps as Dense with
    "cross_entropy" (Keras's renormalization disappears through the softmax's Jacobian)."""
    x, y = rng.standard_normal((24, 4)), rng.integers(0, 3, size=24)
    probs_model = classifier(layers.Softmax(dtype="float64"))
    probs_model.compile("sgd", "sparse_categorical_crossentropy")
    logits_model = classifier()
    logits_model.compile("sgd", "cross_entropy")
    for model in (probs_model, logits_model):
        model.layers[0].build((4,))
        model.layers[0].params["weight"][...] = np.arange(12.0).reshape(4, 3) / 10
        model.fit(x, y, epochs=3, batch_size=8, verbose=0, seed=1)
    np.testing.assert_allclose(
        probs_model.layers[0].params["weight"], logits_model.layers[0].params["weight"], rtol=1e-10
    )


LOGITS_LOSSES = ["cross_entropy", losses.CrossEntropy(), losses.SparseCategoricalCrossentropy(True)]


@pytest.mark.parametrize("loss", LOGITS_LOSSES)
@pytest.mark.parametrize("softmax", ["layer", "activation"])
def test_softmax_before_a_logits_loss_warns(loss, softmax):
    if softmax == "layer":
        model = classifier(layers.Softmax())
    else:
        model = ck.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    with pytest.warns(UserWarning, match="ends in a softmax .* takes logits, so training would apply"):
        model.compile(loss=loss)


def test_softmax_before_a_probabilities_loss_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        classifier(layers.Softmax()).compile(loss="sparse_categorical_crossentropy")
        classifier().compile(loss="cross_entropy")
