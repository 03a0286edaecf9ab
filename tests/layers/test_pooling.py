"""MaxPool2D, AvgPool2D and GlobalAvgPool2D against torch, gradient checks, shapes, config and arguments."""

import json
import re

import numpy as np
import pytest

import convkit as ck
from convkit import layers
from convkit.interop import from_torch, to_torch

torch = pytest.importorskip("torch", reason="torch is the reference of the parity tests in this file")

POOLS = [(layers.MaxPool2D, torch.nn.MaxPool2d), (layers.AvgPool2D, torch.nn.AvgPool2d)]
GEOMETRIES = [(2, None), (3, 2), ((2, 3), (1, 2))]


@pytest.mark.parametrize(("layer_class", "module_class"), POOLS, ids=["max", "avg"])
@pytest.mark.parametrize(("pool_size", "stride"), GEOMETRIES)
def test_matches_torch(dtype, rng, layer_parity, layer_class, module_class, pool_size, stride):
    layer = layer_class(pool_size, stride=stride, dtype=dtype)
    out, _ = layer_parity(layer, module_class(pool_size, stride=stride), rng.standard_normal((2, 3, 7, 8)))
    assert out.shape[1:] == layer.compute_output_shape((3, 7, 8))
    assert layer.params == {} and layer.grads == {}


def test_global_avg_pool_matches_torch(dtype, rng, layer_parity):
    module = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
    out, dx = layer_parity(layers.GlobalAvgPool2D(dtype=dtype), module, rng.standard_normal((2, 4, 5, 3)))
    assert out.shape == (2, 4) and dx.shape == (2, 4, 5, 3)


@pytest.mark.parametrize(
    ("layer_class", "kwargs"),
    [
        (layers.MaxPool2D, {"pool_size": 2}),
        (layers.AvgPool2D, {"pool_size": 3, "stride": 2}),
        (layers.GlobalAvgPool2D, {}),
    ],
)
def test_gradients_match_finite_differences(rng, layer_gradient_errors, layer_class, kwargs):
    layer = layer_class(**kwargs, dtype="float64")
    errors = layer_gradient_errors(layer, rng.standard_normal((2, 2, 5, 5)))
    assert errors["x"] < 1e-8, errors


def test_output_shapes():
    assert layers.MaxPool2D().compute_output_shape((3, 7, 8)) == (3, 3, 4)
    assert layers.AvgPool2D(3, stride=1).compute_output_shape((3, 7, 8)) == (3, 5, 6)
    assert layers.GlobalAvgPool2D().compute_output_shape((16, 4, 4)) == (16,)
    pool = layers.MaxPool2D()
    pool.forward(np.zeros((1, 2, 4, 4)))
    assert pool.built and pool.input_shape == (2, 4, 4)


@pytest.mark.parametrize("layer_class", [layers.MaxPool2D, layers.AvgPool2D, layers.GlobalAvgPool2D])
def test_needs_image_input(layer_class):
    with pytest.raises(
        ValueError, match=re.escape(f"{layer_class.__name__}: expects inputs of shape (N, C, H, W)")
    ):
        layer_class().build((10,))


def test_window_must_fit():
    with pytest.raises(
        ValueError, match=re.escape("MaxPool2D: the pool window (3, 3) must fit in the input (2, 5)")
    ):
        layers.MaxPool2D(3).build((1, 2, 5))


@pytest.mark.parametrize("layer_class", [layers.MaxPool2D, layers.AvgPool2D])
def test_config_round_trip(layer_class):
    layer = layer_class((2, 3), stride=1)
    config = layer.get_config()
    assert config["pool_size"] == [2, 3] and config["stride"] == [1, 1]
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(clone) is layer_class and clone.get_config() == config
    assert layer_class(3).get_config()["stride"] == [3, 3]  # stride defaults to the pool size


def test_global_avg_pool_config_round_trip():
    layer = layers.GlobalAvgPool2D(name="gap", input_shape=(4, 2, 2))
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert clone.get_config() == {"name": "gap", "dtype": "float32", "input_shape": [4, 2, 2]}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"pool_size": 0},
            "MaxPool2D: pool_size must be an int >= 1 or a pair of them. Received: pool_size=0",
        ),
        ({"pool_size": 2, "stride": (1, 0)}, "MaxPool2D: stride must be an int >= 1 or a pair of them"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        layers.MaxPool2D(**kwargs)


@pytest.mark.parametrize("pool_size", ["2", 2.0, (2, 1.5)])
def test_pool_size_of_the_wrong_type(pool_size):
    message = f"MaxPool2D: pool_size must be an int >= 1 or a pair of them. Received: pool_size={pool_size!r}"
    with pytest.raises(TypeError, match=re.escape(message)):
        layers.MaxPool2D(pool_size)


@pytest.mark.parametrize("layer_class", [layers.MaxPool2D, layers.AvgPool2D])
def test_strides_is_keras_name_of_stride(layer_class):
    assert layer_class(3, strides=1).stride == (1, 1)
    assert layer_class(3, strides=(2, 1)).get_config()["stride"] == [2, 1]
    assert layer_class(3).stride == (3, 3)
    name = layer_class.__name__
    message = f"{name}: pass stride or its alias strides, not both. Received: stride=1, strides=1"
    with pytest.raises(ValueError, match=re.escape(message)):
        layer_class(2, stride=1, strides=1)


def test_global_max_pool_matches_torch(dtype, rng, layer_parity):
    module = torch.nn.Sequential(torch.nn.AdaptiveMaxPool2d(1), torch.nn.Flatten())
    out, dx = layer_parity(layers.GlobalMaxPool2D(dtype=dtype), module, rng.standard_normal((2, 4, 5, 3)))
    assert out.shape == (2, 4) and dx.shape == (2, 4, 5, 3)


@pytest.mark.parametrize("output_size", [1, (2, 3), (7, 4)])
def test_adaptive_avg_pool_matches_torch(dtype, rng, layer_parity, output_size):
    layer = layers.AdaptiveAvgPool2D(output_size, dtype=dtype)
    out, _ = layer_parity(layer, torch.nn.AdaptiveAvgPool2d(output_size), rng.standard_normal((2, 3, 7, 5)))
    assert out.shape[1:] == layer.compute_output_shape((3, 7, 5))


@pytest.mark.parametrize("layer", [layers.GlobalMaxPool2D(), layers.AdaptiveAvgPool2D((2, 3))], ids=repr)
def test_new_pools_pass_a_gradient_check(rng, layer_gradient_errors, layer):
    layer.dtype = np.dtype("float64")
    errors = layer_gradient_errors(layer, rng.standard_normal((2, 2, 5, 4)))
    assert errors["x"] < 1e-8, errors


def test_adaptive_avg_pool_from_torch_without_flatten_is_adaptive(rng):
    module = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d((2, 3)))
    model = from_torch(module, (2, 6, 7))
    assert isinstance(model.layers[0], layers.AdaptiveAvgPool2D)
    x = rng.standard_normal((2, 2, 6, 7)).astype(np.float32)
    expected = module(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("layer_class", "module_class"), POOLS, ids=["max", "avg"])
@pytest.mark.parametrize(("padding", "ceil_mode"), [(1, False), (1, True), ((0, 1), True)])
def test_padded_pools_match_torch(dtype, rng, layer_parity, layer_class, module_class, padding, ceil_mode):
    layer = layer_class(3, stride=2, padding=padding, ceil_mode=ceil_mode, dtype=dtype)
    module = module_class(3, stride=2, padding=padding, ceil_mode=ceil_mode)
    out, _ = layer_parity(layer, module, rng.standard_normal((2, 3, 8, 7)))
    assert out.shape[1:] == layer.compute_output_shape((3, 8, 7))


def test_avg_pool_without_counting_the_padding_matches_torch(dtype, rng, layer_parity):
    layer = layers.AvgPool2D(2, stride=2, padding=1, ceil_mode=True, count_include_pad=False, dtype=dtype)
    module = torch.nn.AvgPool2d(2, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    layer_parity(layer, module, rng.standard_normal((2, 2, 5, 6)))


@pytest.mark.parametrize(
    "layer",
    [layers.MaxPool2D(3, 2, padding=1, ceil_mode=True), layers.AvgPool2D(3, 2, 1, True, False)],
    ids=repr,
)
def test_padded_pools_pass_a_gradient_check_and_round_trip(rng, layer_gradient_errors, layer):
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert clone.get_config() == layer.get_config()
    layer.dtype = np.dtype("float64")
    errors = layer_gradient_errors(layer, rng.standard_normal((2, 2, 6, 7)))
    assert errors["x"] < 1e-8, errors


def test_padded_pools_convert_to_and_from_torch(rng):
    model = ck.Sequential(
        [
            layers.MaxPool2D(3, stride=2, padding=1, ceil_mode=True, input_shape=(2, 7, 8)),
            layers.AvgPool2D(2, padding=1, ceil_mode=True, count_include_pad=False),
        ]
    )
    model.build()
    module = to_torch(model)
    x = rng.standard_normal((2, 2, 7, 8)).astype(np.float32)
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-6, atol=1e-6)
    back = from_torch(module, (2, 7, 8))
    assert [layer.get_config()["padding"] for layer in back.layers] == [[1, 1], [1, 1]]
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


def test_padding_must_be_at_most_half_the_window():
    with pytest.raises(
        ValueError, match=re.escape("MaxPool2D: padding must be at most half the pool window (2, 2)")
    ):
        layers.MaxPool2D(2, padding=2)
