"""rescaling_* and normalization_*: the affine maps and their gradients."""

import numpy as np
import pytest

from convkit import functional as F


def test_rescaling(rng):
    x = rng.integers(0, 256, size=(3, 2, 4)).astype(np.float32)
    out, cache = F.rescaling_forward(x, 1 / 127.5, -1.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, x * np.float32(1 / 127.5) - np.float32(1))
    dout = rng.normal(size=x.shape).astype(np.float32)
    np.testing.assert_array_equal(F.rescaling_backward(dout, cache), dout * np.float32(1 / 127.5))


@pytest.mark.parametrize("shape", [(4, 3, 2, 2), (5, 3)])
def test_normalization_per_channel(rng, shape):
    x = rng.normal(size=shape)
    mean, std = [0.1, -0.2, 0.3], [0.5, 2.0, 4.0]
    out, cache = F.normalization_forward(x, mean, std)
    for c in range(3):
        np.testing.assert_allclose(out[:, c], (x[:, c] - mean[c]) / std[c], rtol=1e-15)
    dout = rng.normal(size=shape)
    dx = F.normalization_backward(dout, cache)
    for c in range(3):
        np.testing.assert_allclose(dx[:, c], dout[:, c] / std[c], rtol=1e-15)


def test_normalization_bad_statistics():
    with pytest.raises(ValueError, match="mean must be a float or hold one value per channel"):
        F.normalization_forward(np.zeros((2, 3, 2, 2)), [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match=r"std must be positive. Received: std=\[1.0, 0.0\]"):
        F.normalization_forward(np.zeros((2, 2)), 0.0, [1.0, 0.0])
