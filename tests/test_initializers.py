"""Initializers: fans of Dense and Conv2D kernels, the statistics of he_normal / glorot_uniform on large
layers, weight_scale, custom callables, dtypes and seeds."""

import re

import numpy as np
import pytest

from convkit import initializers, layers


def test_fans_follow_the_kernel_layouts():
    assert initializers.compute_fans((500, 30)) == (500, 30)  # Dense (in, out)
    assert initializers.compute_fans((64, 32, 3, 5)) == (32 * 15, 64 * 15)  # Conv2D (out, in, KH, KW)
    with pytest.raises(ValueError, match="compute_fans: shape must be a Dense kernel"):
        initializers.compute_fans((3, 4, 5))


def test_dense_defaults_to_he_normal():
    layer = layers.Dense(1000, seed=0)
    layer.build((400,))
    weight = layer.params["weight"]
    assert weight.dtype == np.float32
    assert abs(weight.std() / np.sqrt(2 / 400) - 1) < 0.02
    assert abs(weight.mean()) < 0.01 * weight.std()
    np.testing.assert_array_equal(layer.params["bias"], 0)


def test_conv_he_normal_uses_in_channels_times_kernel_area():
    layer = layers.Conv2D(128, 3, seed=1, dtype="float64")
    layer.build((64, 5, 5))
    weight = layer.params["weight"]
    assert weight.dtype == np.float64
    assert abs(weight.std() / np.sqrt(2 / (64 * 9)) - 1) < 0.02


def test_glorot_uniform_bounds_and_std():
    layer = layers.Conv2D(96, 3, kernel_initializer="glorot_uniform", seed=2)
    layer.build((64, 3, 3))
    weight = layer.params["weight"]
    limit = np.sqrt(6 / (64 * 9 + 96 * 9))
    assert np.abs(weight).max() <= limit
    assert abs(weight.std() / (limit / np.sqrt(3)) - 1) < 0.02


def test_weight_scale_overrides_the_initializer():
    layer = layers.Dense(500, weight_scale=1e-3, kernel_initializer="glorot_uniform", seed=3)
    layer.build((400,))
    assert abs(layer.params["weight"].std() / 1e-3 - 1) < 0.02
    conv = layers.Conv2D(8, 3, weight_scale=0.5, seed=3)
    conv.build((2, 3, 3))
    assert 0.3 < conv.params["weight"].std() < 0.7


def test_zeros_and_a_custom_callable():
    layer = layers.Dense(3, kernel_initializer="zeros")
    layer.build((2,))
    np.testing.assert_array_equal(layer.params["weight"], 0)
    calls = []

    def ones(shape, rng, dtype):
        calls.append((shape, dtype))
        return np.ones(shape, dtype)

    conv = layers.Conv2D(4, 3, kernel_initializer=ones, dtype="float64")
    conv.build((2, 5, 5))
    assert calls == [((4, 2, 3, 3), np.dtype(np.float64))]
    np.testing.assert_array_equal(conv.params["weight"], 1)


def test_initializer_with_a_wrong_shape_is_reported():
    layer = layers.Dense(3, kernel_initializer=lambda shape, rng, dtype: np.zeros((3, 3), dtype))
    with pytest.raises(
        ValueError, match=re.escape("kernel_initializer returned shape (3, 3), expected (2, 3)")
    ):
        layer.build((2,))


@pytest.mark.parametrize("name", sorted(initializers.BY_NAME))
def test_get_by_name_and_dtype(name):
    init = initializers.get(name)
    assert init is initializers.BY_NAME[name] and initializers.get(init) is init
    weight = init((4, 5), np.random.default_rng(0), np.float64)
    assert weight.shape == (4, 5) and weight.dtype == np.float64


def test_get_unknown():
    with pytest.raises(
        ValueError, match=re.escape("initializers.get: expected one of ['glorot_uniform', 'he_normal'")
    ):
        initializers.get("lecun")
    with pytest.raises(TypeError, match=re.escape("initializers.get: expected one of")):
        initializers.get(3)


def test_same_seed_same_weights_across_layer_types():
    a, b = layers.Conv2D(4, 3, seed=5), layers.Conv2D(4, 3, seed=5)
    a.build((2, 4, 4))
    b.build((2, 4, 4))
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
