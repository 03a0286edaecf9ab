"""Rescaling and Normalization layers: values, gradients, config and argument checks."""

import numpy as np
import pytest

from convkit import layers


def test_rescaling_maps_pixels_to_minus_one_one():
    layer = layers.Rescaling(1 / 127.5, offset=-1.0)
    x = np.array([[0.0, 127.5, 255.0]], dtype=np.float32)
    np.testing.assert_allclose(layer.forward(x), [[-1.0, 0.0, 1.0]], atol=1e-7)
    np.testing.assert_allclose(layer.backward(np.ones_like(x)), np.full_like(x, 1 / 127.5))


def test_normalization_per_channel_in_training_and_eval(rng):
    layer = layers.Normalization(mean=(0.5, 0.25), std=(0.5, 0.125), dtype="float64")
    x = rng.normal(size=(3, 2, 2, 2))
    expected = (x - np.array([0.5, 0.25])[:, None, None]) / np.array([0.5, 0.125])[:, None, None]
    np.testing.assert_allclose(layer.forward(x, training=True), expected, rtol=1e-15)
    np.testing.assert_allclose(layer.forward(x, training=False), expected, rtol=1e-15)
    np.testing.assert_allclose(layer.backward(np.ones_like(x))[:, 1], np.full((3, 2, 2), 8.0))
    assert layer.count_params() == 0


@pytest.mark.parametrize(
    "make, error, text",
    [
        (lambda: layers.Rescaling("1/255"), TypeError, "Rescaling: scale must be a finite float"),
        (lambda: layers.Rescaling(1.0, offset=float("nan")), ValueError, "offset=nan"),
        (lambda: layers.Normalization([0.1], [0.0]), ValueError, r"std must hold positive values"),
        (lambda: layers.Normalization("0.5", 1.0), TypeError, "mean must be a float or a sequence"),
        (lambda: layers.Normalization([], 1.0), TypeError, "mean must be a float or a sequence"),
        (lambda: layers.Normalization([0.1, 0.2], 1.0).build((3, 4, 4)), ValueError, "mean must hold 1 or 3"),
    ],
)
def test_bad_arguments(make, error, text):
    with pytest.raises(error, match=text):
        make()
