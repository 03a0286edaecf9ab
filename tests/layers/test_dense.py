"""Dense against torch.nn.Linear with copied weights, gradient checks, build, config and argument checks."""

import json
import re

import numpy as np
import pytest

from convkit import layers
from convkit.regularizers import L2


@pytest.mark.parametrize("use_bias", [True, False])
def test_matches_torch_linear(dtype, rng, layer_parity, use_bias, torch):
    layer = layers.Dense(7, use_bias=use_bias, dtype=dtype, seed=0)
    layer.build((5,))
    layer.params["weight"] += rng.standard_normal((5, 7)).astype(dtype)
    if use_bias:
        layer.params["bias"] += rng.standard_normal(7).astype(dtype)
    layer_parity(
        layer, torch.nn.Linear(5, 7, bias=use_bias), rng.standard_normal((4, 5)), transposed=("weight",)
    )


def test_gradients_match_finite_differences(rng, layer_gradient_errors):
    layer = layers.Dense(4, dtype="float64", seed=1)
    layer.build((6,))
    layer.params["bias"] += rng.standard_normal(4)
    errors = layer_gradient_errors(layer, rng.standard_normal((3, 6)))
    assert set(errors) == {"x", "weight", "bias"}
    assert max(errors.values()) < 1e-8, errors


def test_builds_lazily_from_the_first_batch(rng):
    layer = layers.Dense(3)
    assert not layer.built and layer.params == {}
    out = layer.forward(rng.standard_normal((2, 8)))
    assert layer.built and layer.input_shape == (8,)
    assert out.shape == (2, 3) and out.dtype == np.float32
    assert layer.params["weight"].shape == (8, 3) and layer.params["bias"].shape == (3,)
    assert layer.params["weight"].dtype == np.float32
    assert np.all(layer.params["bias"] == 0)
    assert layer.count_params() == 8 * 3 + 3
    assert layer.compute_output_shape((8,)) == (3,)


def test_declared_input_shape_is_enforced(rng):
    layer = layers.Dense(3, input_shape=(4,))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 4\)"):
        layer.forward(rng.standard_normal((2, 5)))
    assert layer.forward(rng.standard_normal((2, 4))).shape == (2, 3)
    with pytest.raises(ValueError, match=r"Received: x.shape=\(2, 6\)"):
        layer.forward(rng.standard_normal((2, 6)))


def test_image_input_asks_for_flatten():
    with pytest.raises(ValueError, match=r"Dense: expects inputs of shape \(N, in_features\); put a Flatten"):
        layers.Dense(3).build((1, 4, 4))


def test_seed_makes_weights_reproducible():
    a, b, c = layers.Dense(5, seed=3), layers.Dense(5, seed=3), layers.Dense(5, seed=4)
    for layer in (a, b, c):
        layer.build((6,))
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    assert not np.array_equal(a.params["weight"], c.params["weight"])


def test_seed_attribute_set_before_build_is_used():
    a = layers.Dense(5)
    a.seed = 11
    a.build((6,))
    b = layers.Dense(5, seed=11)
    b.build((6,))
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])


def test_config_round_trip():
    layer = layers.Dense(
        6,
        activation="relu",
        use_bias=False,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=L2(0.5),
        seed=2,
        dtype="float64",
        name="head",
    )
    layer.build((4,))
    config = layer.get_config()
    assert config == {
        "units": 6,
        "activation": "relu",
        "use_bias": False,
        "kernel_initializer": "glorot_uniform",
        "weight_scale": None,
        "kernel_regularizer": 0.5,
        "seed": 2,
        "name": "head",
        "dtype": "float64",
        "input_shape": [4],
    }
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(clone) is layers.Dense and not clone.built
    assert clone.get_config() == config
    clone.build((4,))
    np.testing.assert_array_equal(clone.params["weight"], layer.params["weight"])


def test_regularizer_adds_penalty_and_gradient(rng):
    layer = layers.Dense(3, kernel_regularizer=0.1, dtype="float64", seed=0)
    assert layer.regularization_loss() == 0.0  # nothing to penalize before the build
    x = rng.standard_normal((2, 4))
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    layer.backward(dout)
    weight = layer.params["weight"]
    assert layer.regularization_loss() == pytest.approx(0.1 * np.sum(weight**2), rel=1e-12)
    np.testing.assert_allclose(layer.grads["weight"], x.T @ dout + 0.2 * weight, rtol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], dout.sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"units": 0}, "Dense: units must be a positive int. Received: units=0"),
        ({"units": 2, "kernel_initializer": "normal"}, "Dense: kernel_initializer must be one of"),
        ({"units": 2, "kernel_regularizer": -1.0}, "Dense: kernel_regularizer must be a non-negative L2"),
        (
            {"units": 2, "weight_scale": 0},
            "Dense: weight_scale must be a positive float. Received: weight_scale=0",
        ),
        ({"units": 2, "seed": -1}, "Dense: seed must be None or a non-negative int"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        layers.Dense(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"units": 2.5}, "Dense: units must be a positive int. Received: units=2.5"),
        ({"units": True}, "Dense: units must be a positive int. Received: units=True"),
        ({"units": 2, "use_bias": "yes"}, "Dense: use_bias must be a bool"),
        ({"units": 2, "kernel_initializer": 3}, "Dense: kernel_initializer must be one of"),
        ({"units": 2, "kernel_regularizer": "l2"}, "Dense: kernel_regularizer must be None, a float"),
    ],
)
def test_arguments_of_the_wrong_type(kwargs, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        layers.Dense(**kwargs)


def test_bad_dtype():
    with pytest.raises(TypeError, match="Dense: dtype must be float32 or float64"):
        layers.Dense(2, dtype="float16")
