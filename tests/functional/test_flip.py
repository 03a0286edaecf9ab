"""random_flip_forward / _backward: per-image mirroring in training, the identity in eval mode."""

import numpy as np
import pytest

from convkit import functional as F


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_each_image_is_flipped_as_its_masks_say(rng, mode):
    x = rng.normal(size=(32, 2, 4, 5))
    out, (flip_w, flip_h, _, _) = F.random_flip_forward(x, mode, True, rng=3)
    reference = np.random.default_rng(3)
    expected_w = reference.random(32) < 0.5 if mode != "vertical" else None
    expected_h = reference.random(32) < 0.5 if mode != "horizontal" else None
    for name, mask, expected in (("w", flip_w, expected_w), ("h", flip_h, expected_h)):
        assert (mask is None) == (expected is None), name
        if mask is not None:
            np.testing.assert_array_equal(mask, expected)
            assert 0 < mask.sum() < 32
    for i in range(32):
        image = x[i]
        if flip_w is not None and flip_w[i]:
            image = image[:, :, ::-1]
        if flip_h is not None and flip_h[i]:
            image = image[:, ::-1, :]
        np.testing.assert_array_equal(out[i], image)


def test_backward_is_the_adjoint(rng):
    x, dout = rng.normal(size=(16, 3, 5, 5)), rng.normal(size=(16, 3, 5, 5))
    out, cache = F.random_flip_forward(x, "horizontal_and_vertical", True, rng=0)
    dx = F.random_flip_backward(dout, cache)
    assert np.sum(out * dout) == pytest.approx(np.sum(x * dx), rel=1e-12)


def test_eval_mode_is_the_identity(rng):
    x = rng.normal(size=(4, 1, 3, 3)).astype(np.float32)
    out, cache = F.random_flip_forward(x, "horizontal", False)
    assert out is x and F.random_flip_backward(x, cache) is x


def test_bad_arguments(rng):
    with pytest.raises(ValueError, match="mode must be one of 'horizontal'.*Received: mode='diagonal'"):
        F.random_flip_forward(np.zeros((1, 1, 2, 2)), "diagonal", True)
    with pytest.raises(ValueError, match=r"x must be 4-D \(N, C, H, W\)"):
        F.random_flip_forward(np.zeros((2, 2)), "horizontal", True)
    _, cache = F.random_flip_forward(np.zeros((1, 1, 2, 2)), "horizontal", True)
    with pytest.raises(ValueError, match=r"dout must have shape \(1, 1, 2, 2\)"):
        F.random_flip_backward(np.zeros((1, 1, 2, 3)), cache)
