"""Dense and Conv2D with an activation run after the kernel: finite differences (through backward and
backward_weights), the activation's layer and its name."""

import numpy as np
import pytest

from convkit import layers
from convkit.layers.activations import ACTIVATIONS

UNFUSED = sorted(set(ACTIVATIONS) - {"relu"})


@pytest.mark.parametrize("activation", UNFUSED)
@pytest.mark.parametrize(
    "cls, args, shape",
    [(layers.Dense, (4,), (3, 5)), (layers.Conv2D, (2, 3), (2, 1, 5, 5))],
    ids=["Dense", "Conv2D"],
)
def test_first_layer_gradients_with_activation(cls, args, shape, activation, rng, layer_gradient_errors):
    """backward_weights (a model's first layer) also runs the activation's backward."""
    layer = cls(*args, activation=activation, dtype="float64", seed=0)
    errors = layer_gradient_errors(layer, rng.standard_normal(shape))
    if cls is layers.Conv2D and activation == "softmax":
        del errors["bias"]  # softmax over W ignores a per-channel shift: both gradients are ~0
    assert max(errors.values()) < 1e-7, errors
    x = rng.standard_normal(shape)
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    layer.backward(dout)
    full = {key: grad.copy() for key, grad in layer.grads.items()}
    layer.forward(x)
    layer.backward_weights(dout)
    for key, grad in layer.grads.items():
        np.testing.assert_allclose(grad, full[key], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("activation", [*UNFUSED, "relu"])
@pytest.mark.parametrize(
    "cls, args, shape",
    [(layers.Dense, (4,), (3, 5)), (layers.Conv2D, (2, 3), (2, 1, 5, 5))],
    ids=["Dense", "Conv2D"],
)
def test_a_frozen_layer_gives_the_dx_of_a_trainable_one(cls, args, shape, activation, rng):
    """backward_input (a frozen layer) runs the activation's backward too."""
    layer = cls(*args, activation=activation, dtype="float64", seed=0)
    x = rng.standard_normal(shape)
    dout = rng.standard_normal(layer.forward(x, training=True).shape)
    np.testing.assert_array_equal(layer.backward_input(dout), layer.backward(dout))


def test_activation_layers_take_no_automatic_name():
    before = layers.Dense(2).name
    layers.Dense(2, activation="tanh").activation_layer  # noqa: B018
    after = layers.Dense(2).name
    assert int(after.rsplit("_", 1)[1]) == int(before.rsplit("_", 1)[1]) + 2


def test_activation_layer():
    assert layers.Dense(2).activation_layer is None
    for name, cls in ACTIVATIONS.items():
        layer = layers.Dense(2, activation=name, dtype="float64", name="d")
        assert type(layer.activation_layer) is cls and layer.activation_layer.dtype == np.float64
        assert layer.activation_layer.name == f"d_{name}"
        assert layers.deserialize(layers.serialize(layer)).activation == name
