"""upsampling2d_* and zero_padding2d_* against NumPy references and finite differences, and their
argument checks."""

import numpy as np
import pytest

from convkit import gradcheck
from convkit.functional import (
    upsampling2d_backward,
    upsampling2d_forward,
    zero_padding2d_backward,
    zero_padding2d_forward,
)


def test_nearest_repeats_every_pixel(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    out, cache = upsampling2d_forward(x, (2, 3))
    np.testing.assert_array_equal(out, np.kron(x, np.ones((2, 3))))
    dx = upsampling2d_backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(dx, np.full(x.shape, 6.0))


def test_bilinear_by_hand():
    x = np.array([[[[0.0, 4.0]]]])  # one row: the columns blend as align_corners=False
    out, _ = upsampling2d_forward(x, (1, 2), "bilinear")
    np.testing.assert_allclose(out[0, 0, 0], [0.0, 1.0, 3.0, 4.0])  # src = (dst + 0.5) / 2 - 0.5, clamped


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("size", [2, (3, 2)])
def test_upsampling_gradients_match_finite_differences(interpolation, size, rng):
    x = rng.standard_normal((2, 2, 3, 4))
    out, cache = upsampling2d_forward(x, size, interpolation)
    dout = rng.standard_normal(out.shape)
    numeric = gradcheck.numerical_gradient(lambda _: upsampling2d_forward(x, size, interpolation)[0], x, dout)
    assert gradcheck.relative_error(upsampling2d_backward(dout, cache), numeric) < 1e-8


@pytest.mark.parametrize(
    ("padding", "expected"),
    [(1, ((1, 1), (1, 1))), ((2, 0), ((2, 2), (0, 0))), (((1, 2), (3, 0)), ((1, 2), (3, 0)))],
)
def test_zero_padding_forms(padding, expected, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    out, cache = zero_padding2d_forward(x, padding)
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), (0, 0), *expected)))
    assert out.dtype == np.float32
    dout = rng.standard_normal(out.shape).astype(np.float32)
    (top, _), (left, _) = expected
    np.testing.assert_array_equal(
        zero_padding2d_backward(dout, cache), dout[:, :, top : top + 4, left : left + 5]
    )


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: upsampling2d_forward(np.zeros((1, 1, 2, 2)), 0), ValueError, "size must be an int >= 1"),
        (lambda: upsampling2d_forward(np.zeros((1, 1, 2, 2)), 1.5), TypeError, "size must be an int >= 1"),
        (
            lambda: upsampling2d_forward(np.zeros((1, 1, 2, 2)), 2, "bicubic"),
            ValueError,
            "interpolation must be one",
        ),
        (lambda: upsampling2d_forward(np.zeros((1, 2, 2)), 2), ValueError, "x must be 4-D"),
        (
            lambda: zero_padding2d_forward(np.zeros((1, 1, 2, 2)), -1),
            ValueError,
            "padding must be an int >= 0",
        ),
        (
            lambda: zero_padding2d_forward(np.zeros((1, 1, 2, 2)), "1"),
            TypeError,
            "padding must be an int >= 0",
        ),
        (
            lambda: zero_padding2d_forward(np.zeros((1, 1, 2, 2)), ((1, 2, 3), (0, 0))),
            ValueError,
            "padding must be",
        ),
    ],
)
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
