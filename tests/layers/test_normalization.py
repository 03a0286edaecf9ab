"""BatchNorm against torch.nn.BatchNorm1d/2d (train and eval), gradient checks, state, config, arguments."""

import json
import re

import numpy as np
import pytest

from convkit import layers

torch = pytest.importorskip("torch", reason="torch is the reference of the parity tests in this file")

NAMES = {"gamma": "weight", "beta": "bias"}
CASES = [((5,), torch.nn.BatchNorm1d), ((3, 4, 5), torch.nn.BatchNorm2d)]


def _perturbed(layer, rng):
    """Non-trivial gamma, beta and running statistics, so that every term is exercised."""
    channels = layer.input_shape[0]
    layer.params["gamma"][...] = rng.uniform(0.5, 1.5, channels)
    layer.params["beta"][...] = rng.standard_normal(channels)
    layer.state["running_mean"][...] = rng.standard_normal(channels)
    layer.state["running_var"][...] = rng.uniform(0.5, 2.0, channels)
    return layer


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize(("input_shape", "module_class"), CASES, ids=["1d", "2d"])
def test_matches_torch(dtype, rng, layer_parity, training, input_shape, module_class):
    layer = layers.BatchNorm(momentum=0.2, eps=1e-3, dtype=dtype)
    layer.build(input_shape)
    _perturbed(layer, rng)
    running_before = {key: value.copy() for key, value in layer.state.items()}
    module = module_class(input_shape[0], momentum=0.2, eps=1e-3)
    layer_parity(
        layer, module, 3 * rng.standard_normal((6, *input_shape)) + 1, training=training, names=NAMES
    )
    for key, value in layer.state.items():
        assert np.array_equal(value, running_before[key]) != training  # updated in training only


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("input_shape", [(3,), (2, 3, 3)], ids=["1d", "2d"])
def test_gradients_match_finite_differences(rng, layer_gradient_errors, training, input_shape):
    layer = layers.BatchNorm(dtype="float64")
    layer.build(input_shape)
    _perturbed(layer, rng)
    errors = layer_gradient_errors(layer, rng.standard_normal((4, *input_shape)), training=training)
    assert set(errors) == {"x", "gamma", "beta"}
    assert max(errors.values()) < 1e-7, errors


def test_running_statistics_follow_torch_over_steps(rng):
    layer = layers.BatchNorm(dtype="float64")
    module = torch.nn.BatchNorm2d(2, dtype=torch.float64).train()
    for _ in range(3):
        x = rng.standard_normal((4, 2, 3, 3)) * 2 + 5
        layer.forward(x, training=True)
        module(torch.from_numpy(x))
    np.testing.assert_allclose(layer.state["running_mean"], module.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.state["running_var"], module.running_var.numpy(), rtol=1e-12)


def test_build_creates_params_and_state():
    layer = layers.BatchNorm()
    layer.build((4, 6, 6))
    assert set(layer.params) == {"gamma", "beta"} and set(layer.state) == {"running_mean", "running_var"}
    assert all(
        a.shape == (4,) and a.dtype == np.float32 for a in (*layer.params.values(), *layer.state.values())
    )
    np.testing.assert_array_equal(layer.params["gamma"], 1)
    np.testing.assert_array_equal(layer.state["running_var"], 1)
    assert layer.count_params() == 8
    assert layer.compute_output_shape((4, 6, 6)) == (4, 6, 6)


def test_rejects_other_ranks():
    with pytest.raises(
        ValueError, match=re.escape("BatchNorm: expects inputs of shape (N, features) or (N, C, H, W)")
    ):
        layers.BatchNorm().build((3, 5))


def test_config_round_trip():
    layer = layers.BatchNorm(momentum=0.01, eps=1e-3, name="bn")
    layer.build((8,))
    config = layer.get_config()
    assert config == {
        "momentum": 0.01,
        "eps": 1e-3,
        "activation": None,
        "name": "bn",
        "dtype": "float32",
        "input_shape": [8],
    }
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(clone) is layers.BatchNorm and clone.get_config() == config
    fused = layers.BatchNorm(activation="relu")
    assert layers.deserialize(json.loads(json.dumps(layers.serialize(fused)))).activation == "relu"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"momentum": 1.5}, "BatchNorm: momentum must be a float in [0, 1]. Received: momentum=1.5"),
        ({"eps": 0}, "BatchNorm: eps must be a positive float. Received: eps=0"),
        (
            {"activation": "tanh"},
            "BatchNorm: activation must be None, 'linear' or 'relu' (fused). Received: activation='tanh'",
        ),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        layers.BatchNorm(**kwargs)


def test_momentum_of_the_wrong_type():
    message = "BatchNorm: momentum must be a float in [0, 1]. Received: momentum=None"
    with pytest.raises(TypeError, match=re.escape(message)):
        layers.BatchNorm(momentum=None)


# -- LayerNorm and GroupNorm ---------------------------------------------------------------------------------
@pytest.mark.parametrize("input_shape", [(5,), (3, 4, 5)], ids=["1d", "3d"])
def test_layernorm_matches_torch(dtype, rng, layer_parity, input_shape):
    layer = layers.LayerNorm(eps=1e-4, dtype=dtype)
    layer.build(input_shape)
    layer.params["weight"][...] = rng.uniform(0.5, 1.5, input_shape)
    layer.params["bias"][...] = rng.standard_normal(input_shape)
    module = torch.nn.LayerNorm(input_shape, eps=1e-4)
    layer_parity(layer, module, 3 * rng.standard_normal((6, *input_shape)) + 1, training=True)
    assert layer.count_params() == 2 * int(np.prod(input_shape))


@pytest.mark.parametrize(("input_shape", "groups"), [((6,), 3), ((6, 3, 5), 2), ((6, 3, 5), 6)])
def test_groupnorm_matches_torch(dtype, rng, layer_parity, input_shape, groups):
    layer = layers.GroupNorm(groups, dtype=dtype)
    layer.build(input_shape)
    layer.params["weight"][...] = rng.uniform(0.5, 1.5, input_shape[0])
    layer.params["bias"][...] = rng.standard_normal(input_shape[0])
    module = torch.nn.GroupNorm(groups, input_shape[0])
    layer_parity(layer, module, 3 * rng.standard_normal((4, *input_shape)) - 1)


@pytest.mark.parametrize("make", [lambda: layers.LayerNorm(), lambda: layers.GroupNorm(2)], ids=["ln", "gn"])
def test_norm_gradients_match_finite_differences(rng, layer_gradient_errors, make):
    layer = make()
    layer.dtype = np.dtype("float64")
    layer.build((4, 2, 3))
    for value in layer.params.values():
        value[...] = rng.standard_normal(value.shape)
    errors = layer_gradient_errors(layer, rng.standard_normal((3, 4, 2, 3)))
    assert set(errors) == {"x", "weight", "bias"}
    assert max(errors.values()) < 1e-7, errors


def test_groupnorm_checks_the_channels():
    with pytest.raises(
        ValueError, match=re.escape("GroupNorm: num_groups must divide the input's channels 6")
    ):
        layers.GroupNorm(4).build((6, 2, 2))
    with pytest.raises(TypeError, match="GroupNorm: num_groups must be a positive int"):
        layers.GroupNorm(2.0)


@pytest.mark.parametrize("layer", [layers.LayerNorm(eps=1e-3), layers.GroupNorm(3, eps=1e-4)], ids=repr)
def test_norm_config_round_trip(layer):
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert clone.get_config() == layer.get_config()
