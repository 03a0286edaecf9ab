"""The activation layers against torch, gradient checks, stability, config, arguments."""

import json
import re

import numpy as np
import pytest

from convkit import layers

torch = pytest.importorskip("torch", reason="torch is the reference of the parity tests in this file")

PAIRS = [
    (layers.ReLU, {}, torch.nn.ReLU()),
    (layers.LeakyReLU, {}, torch.nn.LeakyReLU()),
    (layers.LeakyReLU, {"negative_slope": 0.2}, torch.nn.LeakyReLU(0.2)),
    (layers.Sigmoid, {}, torch.nn.Sigmoid()),
    (layers.Tanh, {}, torch.nn.Tanh()),
    (layers.Softmax, {}, torch.nn.Softmax(dim=-1)),
    (layers.ELU, {"alpha": 0.7}, torch.nn.ELU(0.7)),
    (layers.GELU, {}, torch.nn.GELU()),
    (layers.GELU, {"approximate": "tanh"}, torch.nn.GELU(approximate="tanh")),
    (layers.SiLU, {}, torch.nn.SiLU()),
    (layers.Softplus, {"beta": 1.5, "threshold": 4.0}, torch.nn.Softplus(1.5, 4.0)),
]
IDS = ["relu", "leaky_relu", "leaky_relu_0.2", "sigmoid", "tanh", "softmax", "elu", "gelu", "gelu_tanh"]
IDS += ["silu", "softplus"]


@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 4, 5)], ids=["2d", "4d"])
@pytest.mark.parametrize(("layer_class", "kwargs", "module"), PAIRS, ids=IDS)
def test_matches_torch(dtype, rng, layer_parity, layer_class, kwargs, module, shape):
    layer = layer_class(**kwargs, dtype=dtype)
    out, _ = layer_parity(layer, module, 3 * rng.standard_normal(shape))
    assert out.shape == shape and layer.compute_output_shape(shape[1:]) == shape[1:]
    assert layer.params == {}


@pytest.mark.parametrize(("layer_class", "kwargs", "module"), PAIRS, ids=IDS)
def test_gradients_match_finite_differences(rng, layer_gradient_errors, layer_class, kwargs, module):
    x = rng.standard_normal((3, 5))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink of ReLU and LeakyReLU
    errors = layer_gradient_errors(layer_class(**kwargs, dtype="float64"), x)
    assert errors["x"] < 1e-8, errors


def test_softmax_is_stable_for_large_inputs(dtype):
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]], dtype=dtype)
    layer = layers.Softmax(dtype=dtype)
    out = layer.forward(x)
    expected = torch.softmax(torch.from_numpy(x), dim=-1).numpy()
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(out.sum(axis=-1), 1, rtol=1e-6)
    assert np.all(np.isfinite(layer.backward(np.ones_like(x))))


def test_softmax_rejects_a_wrong_dout():
    layer = layers.Softmax()
    layer.forward(np.zeros((2, 3)))
    with pytest.raises(
        ValueError, match=re.escape("dout must have shape (2, 3). Received: dout.shape=(3, 2)")
    ):
        layer.backward(np.zeros((3, 2)))


@pytest.mark.parametrize(
    "layer_class", [layers.ReLU, layers.Sigmoid, layers.Tanh, layers.Softmax, layers.SiLU]
)
def test_config_round_trip(layer_class):
    layer = layer_class(name="act", dtype="float64")
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(clone) is layer_class
    assert clone.get_config() == {"name": "act", "dtype": "float64"}


def test_leaky_relu_config_round_trip():
    layer = layers.LeakyReLU(0.3)
    config = layer.get_config()
    assert config["negative_slope"] == 0.3
    assert layers.deserialize(json.loads(json.dumps(layers.serialize(layer)))).get_config() == config


@pytest.mark.parametrize(("slope", "error"), [(-0.1, ValueError), ("0.1", TypeError), (None, TypeError)])
def test_leaky_relu_bad_slope(slope, error):
    message = f"LeakyReLU: negative_slope must be a non-negative float. Received: negative_slope={slope!r}"
    with pytest.raises(error, match=re.escape(message)):
        layers.LeakyReLU(slope)


@pytest.mark.parametrize("num_parameters", [1, 3])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 4, 5)], ids=["2d", "4d"])
def test_prelu_matches_torch(dtype, rng, layer_parity, num_parameters, shape):
    layer = layers.PReLU(num_parameters, init=0.1, dtype=dtype)
    layer.build(shape[1:])
    layer.params["weight"][...] = np.linspace(0.1, 0.3, num_parameters)
    layer_parity(layer, torch.nn.PReLU(num_parameters), 3 * rng.standard_normal(shape))


def test_prelu_starts_at_torchs_init_and_passes_a_gradient_check(rng, layer_gradient_errors):
    layer = layers.PReLU(3, dtype="float64")
    layer.build((3, 2, 2))
    np.testing.assert_array_equal(layer.params["weight"], torch.nn.PReLU(3).weight.detach().numpy())
    x = rng.standard_normal((2, 3, 2, 2))
    x[np.abs(x) < 1e-3] = 0.5
    errors = layer_gradient_errors(layer, x)
    assert max(errors.values()) < 1e-8, errors


def test_prelu_checks_its_channels():
    with pytest.raises(
        ValueError, match=re.escape("PReLU: num_parameters must be 1 or the input's channels 4")
    ):
        layers.PReLU(3).build((4, 5, 5))
    with pytest.raises(ValueError, match="num_parameters must be a positive int. Received: num_parameters=0"):
        layers.PReLU(0)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: layers.GELU("exact"), ValueError, "GELU: approximate must be one of 'none', 'tanh'"),
        (lambda: layers.ELU("1"), TypeError, "ELU: alpha must be a finite float"),
        (lambda: layers.Softplus(beta=-1.0), ValueError, "Softplus: beta must be a positive float"),
    ],
)
def test_bad_activation_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()
