"""Conv2DTranspose against torch.nn.ConvTranspose2d with copied weights, gradient checks, config, checks."""

import json
import re

import numpy as np
import pytest

from convkit import layers


@pytest.mark.parametrize(
    ("kernel_size", "stride", "padding", "output_padding", "dilation", "groups"),
    [
        (3, 1, 0, 0, 1, 1),
        (4, 2, 1, 0, 1, 1),
        ((3, 2), (2, 3), (1, 0), (1, 2), 1, 3),
        (3, 1, 1, 1, 2, 1),
    ],
)
def test_matches_torch_conv_transpose2d(
    dtype, rng, layer_parity, kernel_size, stride, padding, output_padding, dilation, groups, torch
):
    layer = layers.Conv2DTranspose(
        6, kernel_size, stride, padding, output_padding, dilation, groups, dtype=dtype
    )
    layer.build((3, 5, 4))
    layer.params["bias"] += rng.standard_normal(6).astype(dtype)
    module = torch.nn.ConvTranspose2d(
        3, 6, kernel_size, stride, padding, output_padding, groups, dilation=dilation
    )
    out, _ = layer_parity(layer, module, rng.standard_normal((2, 3, 5, 4)))
    assert out.shape[1:] == layer.compute_output_shape((3, 5, 4))
    assert layer.params["weight"].shape == (3, 6 // groups, *module.kernel_size)


def test_gradients_match_finite_differences(rng, layer_gradient_errors):
    layer = layers.Conv2DTranspose(3, 3, stride=2, padding=1, output_padding=1, dtype="float64", seed=1)
    layer.build((2, 4, 3))
    layer.params["bias"] += rng.standard_normal(3)
    errors = layer_gradient_errors(layer, rng.standard_normal((2, 2, 4, 3)))
    assert set(errors) == {"x", "weight", "bias"}
    assert max(errors.values()) < 1e-8, errors


def test_activation_runs_after_the_kernel(rng):
    layer = layers.Conv2DTranspose(2, 3, activation="relu", dtype="float64", seed=0)
    plain = layers.Conv2DTranspose(2, 3, dtype="float64", seed=0)
    x = rng.standard_normal((2, 1, 4, 4))
    np.testing.assert_array_equal(layer.forward(x), np.maximum(plain.forward(x), 0))


def test_config_round_trip():
    layer = layers.Conv2DTranspose(4, (4, 3), strides=2, padding=(1, 0), output_padding=(1, 0), groups=2)
    config = layer.get_config()
    assert config["stride"] == [2, 2] and config["output_padding"] == [1, 0] and config["groups"] == 2
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(clone) is layers.Conv2DTranspose and clone.get_config() == config


def test_to_torch_and_from_torch_round_trip(rng, torch):
    import convkit as ck
    from convkit.interop import from_torch, to_torch

    model = ck.Sequential(
        [
            layers.Conv2D(4, 3, stride=2, padding=1, input_shape=(2, 8, 8), dtype="float64"),
            layers.Conv2DTranspose(2, 4, stride=2, padding=1, groups=2, dtype="float64"),
        ]
    )
    model.build(seed=0)
    module = to_torch(model)
    assert isinstance(module[1], torch.nn.ConvTranspose2d)
    x = rng.standard_normal((3, 2, 8, 8))
    with torch.no_grad():
        np.testing.assert_allclose(
            model.predict(x), module(torch.from_numpy(x)).numpy(), rtol=1e-10, atol=1e-12
        )
    back = from_torch(module, (2, 8, 8))
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"filters": 0, "kernel_size": 3},
            "Conv2DTranspose: filters must be a positive int. Received: filters=0",
        ),
        ({"filters": 2, "kernel_size": 3, "output_padding": 1}, "output_padding must be smaller than stride"),
        ({"filters": 3, "kernel_size": 3, "groups": 2}, "groups must divide filters. Received: groups=2"),
        ({"filters": 2, "kernel_size": 3, "dilation": 0}, "Conv2DTranspose: dilation must be an int >= 1"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        layers.Conv2DTranspose(**kwargs)


def test_build_checks_the_input():
    with pytest.raises(ValueError, match="groups must divide the input channels"):
        layers.Conv2DTranspose(4, 3, groups=2).build((3, 5, 5))
    with pytest.raises(ValueError, match="leaves an empty output"):
        layers.Conv2DTranspose(4, 1, padding=1).build((3, 1, 1))
