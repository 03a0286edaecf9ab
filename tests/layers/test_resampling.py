"""UpSampling2D and ZeroPadding2D against torch, gradient checks, shapes, config and arguments."""

import json

import numpy as np
import pytest

from convkit import layers

torch = pytest.importorskip("torch", reason="torch is the reference of the parity tests in this file")


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("size", [2, (1, 3)])
def test_upsampling_matches_torch(dtype, rng, layer_parity, interpolation, size):
    layer = layers.UpSampling2D(size, interpolation, dtype=dtype)
    module = torch.nn.Upsample(scale_factor=size, mode=interpolation)
    out, _ = layer_parity(layer, module, rng.standard_normal((2, 3, 5, 4)))
    assert out.shape[1:] == layer.compute_output_shape((3, 5, 4))


@pytest.mark.parametrize(
    ("padding", "torch_padding"), [(2, 2), ((1, 2), (2, 2, 1, 1)), (((0, 1), (3, 2)), (3, 2, 0, 1))]
)
def test_zero_padding_matches_torch(dtype, rng, layer_parity, padding, torch_padding):
    layer = layers.ZeroPadding2D(padding, dtype=dtype)
    out, _ = layer_parity(layer, torch.nn.ZeroPad2d(torch_padding), rng.standard_normal((2, 3, 5, 4)))
    assert out.shape[1:] == layer.compute_output_shape((3, 5, 4))


@pytest.mark.parametrize(
    "layer", [layers.UpSampling2D(2, "bilinear"), layers.ZeroPadding2D(((1, 0), (2, 1)))], ids=repr
)
def test_gradients_match_finite_differences(rng, layer_gradient_errors, layer):
    layer.dtype = np.dtype("float64")
    errors = layer_gradient_errors(layer, rng.standard_normal((2, 2, 3, 4)))
    assert errors["x"] < 1e-8, errors


@pytest.mark.parametrize(
    "layer", [layers.UpSampling2D((2, 3), "bilinear"), layers.ZeroPadding2D((1, 2))], ids=repr
)
def test_config_round_trip(layer):
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert clone.get_config() == layer.get_config()
    assert clone.compute_output_shape((1, 4, 4)) == layer.compute_output_shape((1, 4, 4))


def test_resampling_layers_need_images():
    with pytest.raises(ValueError, match=r"UpSampling2D: expects inputs of shape \(N, C, H, W\)"):
        layers.UpSampling2D().build((4,))
    with pytest.raises(ValueError, match="ZeroPadding2D: padding must be an int >= 0"):
        layers.ZeroPadding2D(-1)
