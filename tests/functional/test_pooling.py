"""maxpool2d / avgpool2d forward and backward against NumPy loops over windows (float64), overlapping and
non-tiling windows included."""

import numpy as np
import pytest

from convkit import functional as F
from convkit.functional import (
    adaptive_avgpool2d_backward,
    adaptive_avgpool2d_forward,
    avgpool2d_backward,
    avgpool2d_forward,
    global_maxpool2d_backward,
    global_maxpool2d_forward,
    maxpool2d_backward,
    maxpool2d_forward,
)

# (x shape, pool_size, stride)
CASES = [
    ((2, 3, 6, 6), (2, 2), (2, 2)),
    ((2, 2, 7, 7), (2, 2), (2, 2)),  # the last row/column belongs to no window
    ((1, 3, 7, 5), (3, 2), (2, 1)),  # overlapping, non-square
    ((2, 2, 9, 9), (2, 2), (3, 3)),  # stride larger than the window
]
IDS = [f"x{x}-k{k}-s{s}".replace(" ", "") for x, k, s in CASES]
POOLS = {"max": (maxpool2d_forward, maxpool2d_backward), "avg": (avgpool2d_forward, avgpool2d_backward)}


def _pool_reference(x, dout, pool_size, stride, kind):
    """(out, dx): max routes dout to the first maximum of its window, avg spreads it evenly."""
    (kh, kw), (sh, sw) = pool_size, stride
    N, C, OH, OW = dout.shape
    out, dx = np.empty_like(dout), np.zeros_like(x)
    for i in range(OH):
        for j in range(OW):
            window = (slice(None), slice(None), slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw))
            patch = x[window].reshape(N, C, kh * kw)
            if kind == "max":
                out[:, :, i, j] = patch.max(axis=2)
                first = np.zeros_like(patch)
                np.put_along_axis(first, patch.argmax(axis=2)[..., None], 1.0, axis=2)
                dx[window] += (first * dout[:, :, i, j, None]).reshape(N, C, kh, kw)
            else:
                out[:, :, i, j] = patch.mean(axis=2)
                dx[window] += dout[:, :, i, j, None, None] / (kh * kw)
    return out, dx


@pytest.mark.parametrize("kind", sorted(POOLS))
@pytest.mark.parametrize("x_shape, pool_size, stride", CASES, ids=IDS)
def test_forward_and_backward_match_numpy(x_shape, pool_size, stride, kind, rng):
    forward, backward = POOLS[kind]
    x = rng.standard_normal(x_shape)
    out, cache = forward(x, pool_size, stride)
    dout = rng.standard_normal(out.shape)
    expected_out, expected_dx = _pool_reference(x, dout, pool_size, stride, kind)
    np.testing.assert_allclose(out, expected_out, rtol=1e-12)
    np.testing.assert_allclose(backward(dout, cache), expected_dx, rtol=1e-12, atol=1e-15)


def test_defaults_are_2x2_windows_with_stride_2(rng):
    x = rng.standard_normal((2, 3, 6, 5))
    for forward in (maxpool2d_forward, avgpool2d_forward):
        np.testing.assert_array_equal(forward(x)[0], forward(x, (2, 2), (2, 2))[0])
        assert forward(x)[0].shape == (2, 3, 3, 2)


# -- global max and adaptive average pooling ---------------------------------------------------------------
def test_global_maxpool_takes_the_first_maximum(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    x[0, 0, 1, 1] = x[0, 0, 2, 3] = 10.0  # a tie: the first one wins
    out, cache = global_maxpool2d_forward(x)
    np.testing.assert_array_equal(out, x.max(axis=(2, 3)))
    dx = global_maxpool2d_backward(np.ones((2, 3)), cache)
    assert dx[0, 0, 1, 1] == 1 and dx[0, 0, 2, 3] == 0
    np.testing.assert_array_equal(dx.sum(axis=(2, 3)), np.ones((2, 3)))


def test_adaptive_avgpool_uses_torchs_windows(rng):
    x = rng.standard_normal((1, 2, 5, 3))
    out, cache = adaptive_avgpool2d_forward(x, (3, 2))
    rows, cols = [(0, 2), (1, 4), (3, 5)], [(0, 2), (1, 3)]  # floor(i*H/O), ceil((i+1)*H/O)
    expected = np.array(
        [[[x[0, c, r0:r1, c0:c1].mean() for c0, c1 in cols] for r0, r1 in rows] for c in range(2)]
    )
    np.testing.assert_allclose(out[0], expected, rtol=1e-12)
    dx = adaptive_avgpool2d_backward(np.ones_like(out), cache)
    np.testing.assert_allclose(dx.sum(), out.size, rtol=1e-12)  # each output spreads a total of 1


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: F.adaptive_avgpool2d_forward(np.zeros((1, 1, 3, 3)), 0),
            "output_size must be an int >= 1",
        ),
        (lambda: F.adaptive_avgpool2d_forward(np.zeros((1, 1, 0, 3)), 2), "x must have H, W >= 1"),
        (lambda: F.global_maxpool2d_forward(np.zeros((1, 1, 3))), "x must be 4-D"),
        (lambda: F.global_avgpool2d_forward(np.zeros((1, 1, 0, 3))), "x must have H, W >= 1"),
    ],
)
def test_adaptive_and_global_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- padding and ceil_mode -----------------------------------------------------------------------------------
def test_padded_avgpool_by_hand():
    x = np.ones((1, 1, 2, 2))
    out, _ = avgpool2d_forward(x, 2, 2, padding=1)  # every window holds one pixel of x and three zeros
    np.testing.assert_allclose(out, np.full((1, 1, 2, 2), 0.25))
    out, _ = avgpool2d_forward(x, 2, 2, padding=1, count_include_pad=False)
    np.testing.assert_allclose(out, np.ones((1, 1, 2, 2)))


def test_ceil_mode_keeps_the_last_partial_window(rng):
    x = rng.standard_normal((1, 1, 5, 5))
    out, cache = maxpool2d_forward(x, 2, 2, ceil_mode=True)
    assert out.shape == (1, 1, 3, 3)
    assert out[0, 0, 2, 2] == x[0, 0, 4, 4]  # the 1x1 window at the corner
    dx = maxpool2d_backward(np.ones_like(out), cache)
    assert dx.shape == x.shape and dx.sum() == 9


def test_without_padding_the_unpadded_kernels_run_unchanged(rng):
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    for forward in (maxpool2d_forward, avgpool2d_forward):
        plain, _ = forward(x, 3, 2)
        same, cache = forward(x, 3, 2, 0, False)
        np.testing.assert_array_equal(plain, same)
        assert type(cache).__name__ in ("MaxPoolCache", "AvgPoolCache")


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: maxpool2d_forward(np.zeros((1, 1, 4, 4)), 2, 2, 2),
            ValueError,
            "padding must be at most half",
        ),
        (
            lambda: avgpool2d_forward(np.zeros((1, 1, 4, 4)), 2, 2, -1),
            ValueError,
            "padding must be an int >= 0",
        ),
        (
            lambda: maxpool2d_forward(np.zeros((1, 1, 4, 4)), 2, 2, 0, 1),
            TypeError,
            "ceil_mode must be a bool",
        ),
        (
            lambda: avgpool2d_forward(np.zeros((1, 1, 4, 4)), 2, count_include_pad=None),
            TypeError,
            "count_include_pad must be a bool",
        ),
        (
            lambda: maxpool2d_forward(np.zeros((1, 1, 1, 1)), 4, 1, 1),
            ValueError,
            "must fit in the padded input",
        ),
    ],
)
def test_bad_padding_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
