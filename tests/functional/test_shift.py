"""random_shift_forward / random_shift_backward against a NumPy reference: each image moved by its drawn
(dy, dx) with zero fill, and backward the adjoint of that move."""

import numpy as np
import pytest

from convkit import functional as F


def shifted(image, dy, dx):
    """image (C, H, W) moved down by dy and right by dx, zeros where nothing comes in."""
    C, H, W = image.shape
    out = np.zeros_like(image)
    for r in range(H):
        for c in range(W):
            if 0 <= r - dy < H and 0 <= c - dx < W:
                out[:, r, c] = image[:, r - dy, c - dx]
    return out


@pytest.mark.parametrize("max_shift", [1, (2, 0), (0, 3), (3, 3)], ids=str)
def test_forward_moves_each_image_by_its_shift(max_shift, dtype, rng):
    x = rng.standard_normal((6, 2, 5, 7)).astype(dtype)
    out, (shifts, *_) = F.random_shift_forward(x, max_shift, True, 0)
    assert out.dtype == dtype and out.shape == x.shape
    assert np.all(np.abs(shifts) <= np.broadcast_to(max_shift, (2,)))
    for image, result, (dy, dx) in zip(x, out, shifts):
        np.testing.assert_array_equal(result, shifted(image, dy, dx))


def test_shifts_are_drawn_from_the_generator_like_this():
    """The draw order is part of the results: all dy for the batch first, then all dx."""
    x = np.ones((4, 1, 6, 6))
    _, (shifts, *_) = F.random_shift_forward(x, (2, 1), True, np.random.default_rng(7))
    rng = np.random.default_rng(7)
    expected = np.stack([rng.integers(-2, 3, size=4), rng.integers(-1, 2, size=4)], axis=1)
    np.testing.assert_array_equal(shifts, expected)


def test_backward_is_the_adjoint_of_forward(rng):
    x = rng.standard_normal((5, 3, 6, 6))
    dout = rng.standard_normal(x.shape)
    out, cache = F.random_shift_forward(x, 2, True, 1)
    dx = F.random_shift_backward(dout, cache)
    assert np.sum(out * dout) == pytest.approx(np.sum(x * dx), rel=1e-12)


@pytest.mark.parametrize(("max_shift", "training"), [(2, False), (0, True)])
def test_identity_in_eval_or_without_shift(max_shift, training, rng):
    x = rng.standard_normal((2, 1, 4, 4))
    out, cache = F.random_shift_forward(x, max_shift, training, 0)
    assert out is x
    dout = rng.standard_normal(x.shape)
    np.testing.assert_array_equal(F.random_shift_backward(dout, cache), dout)
