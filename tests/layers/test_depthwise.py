"""DepthwiseConv2D and SeparableConv2D against torch (nn.Conv2d with groups=C, then a 1x1 nn.Conv2d),
gradient checks, config and the torch converters."""

import json
import re

import numpy as np
import pytest

import convkit as ck
from convkit import layers


@pytest.mark.parametrize(
    ("kernel_size", "stride", "padding", "depth_multiplier", "dilation"),
    [(3, 1, 1, 1, 1), ((3, 2), 2, (1, 0), 2, 1), (3, 1, "same", 3, 2), (2, 2, "same", 1, 1)],
)
def test_depthwise_matches_torch(
    dtype, rng, layer_parity, kernel_size, stride, padding, depth_multiplier, dilation, torch
):
    layer = layers.DepthwiseConv2D(
        kernel_size, stride, padding, depth_multiplier, dilation, dtype=dtype, seed=0
    )
    layer.build((3, 7, 6))
    C = 3 * depth_multiplier
    assert (layer.filters, layer.groups) == (C, 3)
    assert layer.params["weight"].shape == (C, 1, *layer.kernel_size)
    layer.params["bias"] += rng.standard_normal(C).astype(dtype)
    (top, bottom), (left, right) = layer.explicit_padding((3, 7, 6))
    module = torch.nn.Sequential(
        torch.nn.ZeroPad2d((left, right, top, bottom)),
        torch.nn.Conv2d(3, C, kernel_size, stride=stride, dilation=dilation, groups=3),
    )
    names = {"weight": "1.weight", "bias": "1.bias"}
    out, _ = layer_parity(layer, module, rng.standard_normal((2, 3, 7, 6)), names=names)
    assert out.shape[1:] == layer.compute_output_shape((3, 7, 6))


@pytest.mark.parametrize(("stride", "padding", "use_bias"), [(1, 1, True), (2, "same", False)])
def test_separable_matches_torch(dtype, rng, layer_parity, stride, padding, use_bias, torch):
    layer = layers.SeparableConv2D(
        5, 3, stride, padding, depth_multiplier=2, use_bias=use_bias, dtype=dtype, seed=0
    )
    layer.build((3, 8, 7))
    assert layer.params["depthwise_weight"].shape == (6, 1, 3, 3)
    assert layer.params["pointwise_weight"].shape == (5, 6, 1, 1)
    if use_bias:
        layer.params["bias"] += rng.standard_normal(5).astype(dtype)
    module = ck.interop.to_torch(ck.Sequential([layer]))
    names = {"depthwise_weight": "0.0.weight", "pointwise_weight": "0.1.weight", "bias": "0.1.bias"}
    if padding == "same":  # the odd "same" is a ZeroPad2d before the depthwise Conv2d
        names["depthwise_weight"] = "0.0.1.weight"
    out, _ = layer_parity(layer, module, rng.standard_normal((2, 3, 8, 7)), names=names)
    assert out.shape[1:] == layer.compute_output_shape((3, 8, 7))


def test_gradients_match_finite_differences(rng, layer_gradient_errors):
    depthwise = layers.DepthwiseConv2D(3, 2, 1, depth_multiplier=2, dtype="float64", seed=1)
    depthwise.build((2, 5, 5))
    depthwise.params["bias"] += rng.standard_normal(4)
    errors = layer_gradient_errors(depthwise, rng.standard_normal((2, 2, 5, 5)))
    assert set(errors) == {"x", "weight", "bias"} and max(errors.values()) < 1e-8, errors
    separable = layers.SeparableConv2D(3, 3, padding="same", dilation=2, dtype="float64", seed=1)
    separable.build((2, 6, 5))
    errors = layer_gradient_errors(separable, rng.standard_normal((2, 2, 6, 5)))
    assert set(errors) == {"x", "depthwise_weight", "pointwise_weight", "bias"}
    assert max(errors.values()) < 1e-8, errors


def test_frozen_separable_gives_the_same_input_gradient(rng):
    layer = layers.SeparableConv2D(4, 3, padding=1, dtype="float64", seed=0)
    x = rng.standard_normal((2, 3, 5, 5))
    dout = rng.standard_normal((2, 4, 5, 5))
    layer.forward(x)
    np.testing.assert_array_equal(layer.backward_input(dout), layer.backward(dout))


def test_from_torch_of_a_depthwise_separable_block(rng, torch):
    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Conv2d(4, 8, 3, padding=1, groups=4, bias=False),
        torch.nn.Conv2d(8, 6, 1),
        torch.nn.ReLU(),
    )
    model = ck.interop.from_torch(module, (4, 6, 6))
    x = rng.standard_normal((2, 4, 6, 6)).astype(np.float32)
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-5)
    model = ck.Sequential([layers.DepthwiseConv2D(3, padding=1, depth_multiplier=2, input_shape=(4, 6, 6))])
    model.build(seed=0)
    back = ck.interop.to_torch(model)
    assert isinstance(back[0], torch.nn.Conv2d) and back[0].groups == 4 and back[0].out_channels == 8
    with torch.no_grad():
        np.testing.assert_allclose(model.predict(x), back(torch.from_numpy(x)).numpy(), rtol=1e-5, atol=1e-5)


def test_config_round_trip():
    for layer in (
        layers.DepthwiseConv2D((3, 1), strides=2, padding="same", depth_multiplier=2),
        layers.SeparableConv2D(4, 3, stride=(2, 1), dilation=2, kernel_initializer="glorot_uniform", seed=3),
    ):
        config = layer.get_config()
        clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
        assert type(clone) is type(layer) and clone.get_config() == config
    assert "filters" not in layers.DepthwiseConv2D(3).get_config()


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: layers.DepthwiseConv2D(3, depth_multiplier=0),
            ValueError,
            "DepthwiseConv2D: depth_multiplier must be a positive int",
        ),
        (lambda: layers.DepthwiseConv2D(0), ValueError, "DepthwiseConv2D: kernel_size must be an int >= 1"),
        (
            lambda: layers.DepthwiseConv2D(3, padding="full"),
            ValueError,
            "DepthwiseConv2D: padding must be an int",
        ),
        (lambda: layers.SeparableConv2D(0, 3), ValueError, "SeparableConv2D: filters must be a positive int"),
        (
            lambda: layers.SeparableConv2D(2, 3, kernel_initializer="x"),
            ValueError,
            "SeparableConv2D: kernel_initializer",
        ),
        (lambda: layers.SeparableConv2D(2, 3, use_bias="yes"), TypeError, "SeparableConv2D: use_bias"),
    ],
)
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make()


def test_summary_rows(capsys):
    model = ck.Sequential(
        [
            layers.DepthwiseConv2D(3, 2, "same", 2, input_shape=(4, 9, 9)),
            layers.SeparableConv2D(6, 3, padding=1),
            layers.Conv2DTranspose(4, 4, 2, 1),
        ]
    )
    model.build(seed=0)
    model.summary()
    text = capsys.readouterr().out
    assert re.search(r"depthwise_conv2d_\d+ \(DepthwiseConv2D\) +\(None, 8, 5, 5\) +80", text)  # 8*9 + 8
    assert re.search(r"separable_conv2d_\d+ \(SeparableConv2D\) +\(None, 6, 5, 5\) +126", text)  # 72 + 48 + 6
    assert re.search(r"conv2d_transpose_\d+ \(Conv2DTranspose\) +\(None, 4, 10, 10\) +388", text)
