"""Conv2D against torch.nn.Conv2d with copied weights, gradient checks, padding modes, config, arguments."""

import json
import re

import numpy as np
import pytest

from convkit import layers


@pytest.mark.parametrize(
    ("kernel_size", "stride", "padding", "torch_padding"),
    [
        (3, 1, 0, 0),
        (3, 2, 1, 1),
        ((3, 2), (2, 1), (1, 0), (1, 0)),
        (3, 1, "same", 1),
        (5, 1, "same", 2),
        (1, 1, "valid", 0),
    ],
)
def test_matches_torch_conv2d(dtype, rng, layer_parity, kernel_size, stride, padding, torch_padding, torch):
    layer = layers.Conv2D(4, kernel_size, stride=stride, padding=padding, dtype=dtype, seed=0)
    layer.build((3, 7, 6))
    layer.params["bias"] += rng.standard_normal(4).astype(dtype)
    module = torch.nn.Conv2d(3, 4, kernel_size, stride=stride, padding=torch_padding)
    out, _ = layer_parity(layer, module, rng.standard_normal((2, 3, 7, 6)))
    assert out.shape[1:] == layer.compute_output_shape((3, 7, 6))


@pytest.mark.parametrize(
    ("kernel_size", "stride", "padding", "dilation", "groups"),
    [
        (3, 1, 1, 2, 1),
        ((3, 2), (2, 1), (2, 1), (2, 3), 3),
        (3, 2, "same", 1, 1),  # Keras's rule: one zero before, one after on 7, two after on 6
        ((4, 3), 1, "same", 1, 3),  # an even kernel: torch's extra zero after
        (3, 3, "same", 2, 1),
        (2, 1, "valid", 1, 3),
    ],
)
def test_dilation_groups_and_same_match_torch(
    dtype, rng, layer_parity, kernel_size, stride, padding, dilation, groups, torch
):
    layer = layers.Conv2D(6, kernel_size, stride, padding, dilation, groups, dtype=dtype, seed=0)
    layer.build((3, 7, 6))
    layer.params["bias"] += rng.standard_normal(6).astype(dtype)
    assert layer.params["weight"].shape == (6, 3 // groups, *layers.Conv2D(1, kernel_size).kernel_size)
    (top, bottom), (left, right) = layer.explicit_padding((3, 7, 6))
    module = torch.nn.Sequential(
        torch.nn.ZeroPad2d((left, right, top, bottom)),
        torch.nn.Conv2d(3, 6, kernel_size, stride=stride, dilation=dilation, groups=groups),
    )
    names = {"weight": "1.weight", "bias": "1.bias"}
    out, _ = layer_parity(layer, module, rng.standard_normal((2, 3, 7, 6)), names=names)
    assert out.shape[1:] == layer.compute_output_shape((3, 7, 6))
    if padding == "same":
        assert out.shape[2:] == (-(-7 // layer.stride[0]), -(-6 // layer.stride[1]))


def test_without_bias_matches_torch(dtype, rng, layer_parity, torch):
    layer = layers.Conv2D(2, 3, padding=1, use_bias=False, dtype=dtype)
    layer.build((3, 5, 5))
    assert set(layer.params) == {"weight"}
    layer_parity(layer, torch.nn.Conv2d(3, 2, 3, padding=1, bias=False), rng.standard_normal((2, 3, 5, 5)))


@pytest.mark.parametrize(("stride", "padding"), [(1, "same"), (2, 1)])
def test_gradients_match_finite_differences(rng, layer_gradient_errors, stride, padding):
    layer = layers.Conv2D(3, 3, stride=stride, padding=padding, dtype="float64", seed=1)
    layer.build((2, 5, 5))
    layer.params["bias"] += rng.standard_normal(3)
    errors = layer_gradient_errors(layer, rng.standard_normal((2, 2, 5, 5)))
    assert set(errors) == {"x", "weight", "bias"}
    assert max(errors.values()) < 1e-8, errors


def test_builds_lazily_with_oihw_weights(rng):
    layer = layers.Conv2D(8, (3, 5), stride=2)
    out = layer.forward(rng.standard_normal((2, 3, 11, 12)))
    assert layer.input_shape == (3, 11, 12)
    assert layer.params["weight"].shape == (8, 3, 3, 5) and layer.params["bias"].shape == (8,)
    assert out.shape == (2, 8, 5, 4) and out.dtype == np.float32
    assert layer.compute_output_shape((3, 11, 12)) == (8, 5, 4)


def test_same_padding_keeps_the_spatial_size():
    layer = layers.Conv2D(4, (3, 5), padding="SAME")
    assert layer.padding == (1, 2)  # symmetric: the kernels pad it themselves
    assert layers.Conv2D(4, 2, padding="same").padding == "same"  # one zero after: per input size
    assert layers.Conv2D(4, 3, 2, padding="same").compute_output_shape((2, 9, 8)) == (4, 5, 4)
    assert layers.Conv2D(4, 3, padding="same", dilation=2).padding == (2, 2)
    assert layer.compute_output_shape((2, 9, 7)) == (4, 9, 7)
    assert layer.get_config()["padding"] == "same"
    assert layers.Conv2D(4, 3, padding="valid").padding == (0, 0)


def test_input_checks():
    layer = layers.Conv2D(4, 5)
    with pytest.raises(ValueError, match=re.escape("Conv2D: expects inputs of shape (N, C, H, W)")):
        layer.build((3, 8))
    with pytest.raises(ValueError, match=re.escape("the kernel (5, 5) must fit in the padded input (4, 8)")):
        layer.build((3, 4, 8))
    assert not layer.built
    layer.forward(np.zeros((1, 3, 6, 6)))
    with pytest.raises(ValueError, match=re.escape("expected input of shape (N, 3, 6, 6)")):
        layer.forward(np.zeros((1, 3, 7, 6)))


def test_config_round_trip():
    layer = layers.Conv2D(5, (3, 1), stride=(2, 1), padding=(1, 0), kernel_regularizer=0.01, weight_scale=0.1)
    config = layer.get_config()
    assert config["kernel_size"] == [3, 1] and config["stride"] == [2, 1] and config["padding"] == [1, 0]
    assert config["weight_scale"] == 0.1 and config["kernel_regularizer"] == 0.01
    clone = layers.deserialize(json.loads(json.dumps(layers.serialize(layer))))
    assert type(clone) is layers.Conv2D and clone.get_config() == config
    same = layers.deserialize(layers.serialize(layers.Conv2D(2, 3, padding="same")))
    assert same.padding == (1, 1) and same.get_config()["padding"] == "same"


def test_regularizer_adds_penalty_and_gradient(rng):
    layer = layers.Conv2D(2, 3, kernel_regularizer=0.05, dtype="float64", seed=0)
    plain = layers.Conv2D(2, 3, dtype="float64", seed=0)
    x = rng.standard_normal((2, 1, 4, 4))
    dout = rng.standard_normal((2, 2, 2, 2))
    for conv in (layer, plain):
        conv.forward(x)
        conv.backward(dout)
    weight = layer.params["weight"]
    assert layer.regularization_loss() == pytest.approx(0.05 * np.sum(weight**2), rel=1e-12)
    assert plain.regularization_loss() == 0.0
    np.testing.assert_allclose(layer.grads["weight"], plain.grads["weight"] + 0.1 * weight, rtol=1e-12)
    np.testing.assert_array_equal(layer.grads["bias"], plain.grads["bias"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"filters": 0, "kernel_size": 3}, "Conv2D: filters must be a positive int. Received: filters=0"),
        ({"filters": 2, "kernel_size": 0}, "Conv2D: kernel_size must be an int >= 1 or a pair of them"),
        ({"filters": 2, "kernel_size": (3, 3, 3)}, "Conv2D: kernel_size must be an int >= 1 or a pair"),
        ({"filters": 2, "kernel_size": 3, "stride": 0}, "Conv2D: stride must be an int >= 1"),
        ({"filters": 2, "kernel_size": 3, "padding": -1}, "Conv2D: padding must be an int >= 0"),
        (
            {"filters": 2, "kernel_size": 3, "padding": "full"},
            "Conv2D: padding must be an int, a pair, 'valid'",
        ),
        ({"filters": 2, "kernel_size": 3, "dilation": 0}, "Conv2D: dilation must be an int >= 1"),
        (
            {"filters": 2, "kernel_size": 3, "groups": 0},
            "Conv2D: groups must be a positive int. Received: groups=0",
        ),
        (
            {"filters": 3, "kernel_size": 3, "groups": 2},
            "Conv2D: groups must divide filters. Received: groups=2, filters=3",
        ),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        layers.Conv2D(**kwargs)


def test_strides_is_keras_name_of_stride():
    assert layers.Conv2D(2, 3, strides=2).stride == (2, 2)
    assert layers.Conv2D(2, 3, strides=(2, 1)).get_config()["stride"] == [2, 1]
    assert layers.Conv2D(2, 3).stride == (1, 1)
    message = "Conv2D: pass stride or its alias strides, not both. Received: stride=2, strides=2"
    with pytest.raises(ValueError, match=re.escape(message)):
        layers.Conv2D(2, 3, stride=2, strides=2)
    with pytest.raises(ValueError, match="Conv2D: stride must be an int >= 1"):
        layers.Conv2D(2, 3, strides=0)


def test_channels_last_input_shape_names_the_transpose():
    message = "looks channels-last (N, H, W, C); convkit wants (N, C, H, W): x.transpose(0, 3, 1, 2)"
    with pytest.raises(ValueError, match=re.escape(message)):
        layers.Conv2D(4, 3).build((28, 28, 1))


def test_from_torch_and_to_torch_convert_dilated_grouped_and_same_convolutions(rng, torch):
    from convkit.interop import from_torch, to_torch

    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Conv2d(4, 6, 3, padding=2, dilation=2, groups=2),
        torch.nn.Conv2d(6, 6, (2, 3), padding="same", groups=6, bias=False),
        torch.nn.Conv2d(6, 3, 3, stride=2, padding="valid", dilation=(1, 2)),
    ).double()
    model = from_torch(module, (4, 9, 10))
    assert [(c.dilation, c.groups) for c in model.layers] == [((2, 2), 2), ((1, 1), 6), ((1, 2), 1)]
    x = rng.standard_normal((2, 4, 9, 10))
    with torch.no_grad():
        expected = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-10, atol=1e-12)
    with torch.no_grad():  # back to torch: the odd "same" becomes ZeroPad2d + Conv2d
        np.testing.assert_allclose(
            to_torch(model)(torch.from_numpy(x)).numpy(), expected, rtol=1e-10, atol=1e-12
        )
