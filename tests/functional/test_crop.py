"""random_crop_forward / _backward: a random window of the zero-padded image; a center crop in eval."""

import numpy as np
import pytest

from convkit import functional as F


def test_training_cuts_the_drawn_window_of_the_padded_image(rng):
    x = rng.normal(size=(20, 2, 6, 5))
    out, (offsets, padding, size, _, _) = F.random_crop_forward(x, (4, 5), (2, 1), True, rng=7)
    assert out.shape == (20, 2, 4, 5) and padding == (2, 1) and size == (4, 5)
    reference = np.random.default_rng(7)
    np.testing.assert_array_equal(offsets[:, 0], reference.integers(0, 6 + 4 - 4 + 1, size=20))
    np.testing.assert_array_equal(offsets[:, 1], reference.integers(0, 5 + 2 - 5 + 1, size=20))
    padded = np.pad(x, ((0, 0), (0, 0), (2, 2), (1, 1)))
    for i, (top, left) in enumerate(offsets):
        np.testing.assert_array_equal(out[i], padded[i, :, top : top + 4, left : left + 5])


def test_backward_is_the_adjoint(rng):
    x = rng.normal(size=(8, 3, 7, 7))
    out, cache = F.random_crop_forward(x, 5, 2, True, rng=1)
    dout = rng.normal(size=out.shape)
    dx = F.random_crop_backward(dout, cache)
    assert dx.shape == x.shape
    assert np.sum(out * dout) == pytest.approx(np.sum(x * dx), rel=1e-12)


@pytest.mark.parametrize("shape, size, top, left", [((7, 8), (4, 4), 2, 2), ((6, 6), (3, 5), 2, 0)])
def test_eval_mode_is_the_center_crop(rng, shape, size, top, left):
    x = rng.normal(size=(2, 1, *shape))
    out, cache = F.random_crop_forward(x, size, 4, False)
    np.testing.assert_array_equal(out, x[:, :, top : top + size[0], left : left + size[1]])
    dx = F.random_crop_backward(np.ones_like(out), cache)
    assert dx.sum() == out.size and dx[:, :, top : top + size[0], left : left + size[1]].min() == 1


def test_eval_mode_at_full_size_is_the_identity(rng):
    x = rng.normal(size=(2, 3, 4, 4)).astype(np.float32)
    out, cache = F.random_crop_forward(x, 4, 4, False)
    assert out is x and F.random_crop_backward(x, cache) is x


def test_bad_arguments():
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"size must be at most the image's \(H, W\)=\(4, 4\)"):
        F.random_crop_forward(x, 5, 2, True)
    with pytest.raises(ValueError, match="padding must be an int >= 0"):
        F.random_crop_forward(x, 2, -1, True)
    with pytest.raises(TypeError, match="size must be an int >= 1"):
        F.random_crop_forward(x, 2.5, 0, True)
