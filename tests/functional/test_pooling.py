"""maxpool2d / avgpool2d forward and backward against NumPy loops over windows (float64), overlapping and
non-tiling windows included."""

import numpy as np
import pytest

from convkit.functional import avgpool2d_backward, avgpool2d_forward, maxpool2d_backward, maxpool2d_forward

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
