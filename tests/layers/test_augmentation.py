"""RandomShift: zero-filled whole-pixel translations in training, the identity in eval mode."""

import numpy as np
import pytest

from convkit import layers


def shifted(image, dy, dx):
    """Reference: out[r, c] = image[r - dy, c - dx], zero outside."""
    out = np.zeros_like(image)
    H, W = image.shape[-2:]
    for r in range(H):
        for c in range(W):
            if 0 <= r - dy < H and 0 <= c - dx < W:
                out[..., r, c] = image[..., r - dy, c - dx]
    return out


def test_eval_mode_is_the_identity(rng):
    layer = layers.RandomShift(2)
    x = rng.normal(size=(3, 2, 6, 5)).astype(np.float32)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    np.testing.assert_array_equal(layer.backward(x), x)


@pytest.mark.parametrize("max_shift", [1, (2, 0), (0, 3)])
def test_training_shifts_each_image_within_bounds(rng, max_shift):
    layer = layers.RandomShift(max_shift, seed=0, dtype="float64")
    x = rng.normal(size=(16, 2, 7, 6))
    out = layer.forward(x, training=True)
    limits = np.broadcast_to(max_shift, (2,))
    assert np.all(np.abs(layer._cache[0]) <= limits)
    for image, result, (dy, dx) in zip(x, out, layer._cache[0]):
        np.testing.assert_array_equal(result, shifted(image, dy, dx))
    assert len({tuple(s) for s in layer._cache[0]}) > 1  # the shifts differ between images


def test_backward_is_the_adjoint_of_the_shift(rng):
    layer = layers.RandomShift(2, seed=1, dtype="float64")
    x = rng.normal(size=(8, 3, 5, 5))
    dout = rng.normal(size=x.shape)
    out = layer.forward(x, training=True)
    dx = layer.backward(dout)
    assert np.sum(out * dout) == pytest.approx(np.sum(x * dx), rel=1e-12)


def test_same_seed_same_shifts(rng):
    x = rng.normal(size=(10, 1, 6, 6)).astype(np.float32)
    a, b = layers.RandomShift(2, seed=5), layers.RandomShift(2, seed=5)
    np.testing.assert_array_equal(a.forward(x, training=True), b.forward(x, training=True))


def test_config_round_trip_and_bad_arguments():
    layer = layers.RandomShift((1, 2), seed=3, input_shape=(1, 8, 8))
    clone = layers.deserialize(layers.serialize(layer))
    assert clone.max_shift == (1, 2) and clone.seed == 3 and clone.input_shape == (1, 8, 8)
    with pytest.raises(ValueError, match="max_shift must be an int >= 0"):
        layers.RandomShift(-1)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(N, C, H, W\)"):
        layers.RandomShift(1).forward(np.zeros((2, 5)))
