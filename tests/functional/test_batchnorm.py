"""batchnorm_forward / batchnorm_backward against their defining formulas: per-channel statistics, the
running-statistic update (unbiased variance) and the affine map of eval mode."""

import numpy as np
import pytest

from convkit.functional import batchnorm_backward, batchnorm_forward


def test_running_stats_update_formula(rng):
    x = rng.standard_normal((6, 2, 3, 3))
    running_mean, running_var = np.array([1.0, -1.0]), np.array([2.0, 0.5])
    before_mean, before_var = running_mean.copy(), running_var.copy()
    batchnorm_forward(x, np.ones(2), np.zeros(2), running_mean, running_var, momentum=0.25)
    batch_mean = x.mean(axis=(0, 2, 3))
    batch_var = x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(running_mean, 0.75 * before_mean + 0.25 * batch_mean, rtol=1e-12)
    np.testing.assert_allclose(running_var, 0.75 * before_var + 0.25 * batch_var, rtol=1e-12)


def test_training_output_is_normalized_per_channel(rng):
    x = rng.standard_normal((16, 3, 4, 4)) * np.array([1.0, 10.0, 0.1])[:, None, None] + 5.0
    out, _ = batchnorm_forward(x, np.ones(3), np.zeros(3), None, None)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1.0, rtol=1e-3)  # eps shrinks it slightly


def test_eval_mode_with_running_stats_is_an_affine_map(rng):
    x = rng.standard_normal((5, 2))
    mean, var = np.array([0.5, -1.0]), np.array([4.0, 0.25])
    gamma, beta = np.array([2.0, 3.0]), np.array([0.0, 1.0])
    out, cache = batchnorm_forward(x, gamma, beta, mean, var, training=False, eps=1e-12)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var) * gamma + beta, rtol=1e-10)
    dx, _, _ = batchnorm_backward(np.ones_like(x), cache)
    np.testing.assert_allclose(dx, np.broadcast_to(gamma / np.sqrt(var), x.shape), rtol=1e-10)
    np.testing.assert_array_equal(mean, [0.5, -1.0])  # eval mode never updates the running statistics


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble])
def test_running_statistics_of_another_float_width_are_rejected_as_inputs_are(dtype):
    x = np.ones((4, 2), np.float32)
    stats = np.zeros(2, dtype), np.ones(2, dtype)
    with pytest.raises(TypeError, match="running_mean must be a float32/float64 ndarray"):
        batchnorm_forward(x, np.ones(2), np.zeros(2), *stats)


def test_read_only_running_statistics_are_rejected():
    mean, var = np.zeros(2), np.ones(2)
    mean.flags.writeable = False
    with pytest.raises(ValueError, match="running_mean must be writeable"):
        batchnorm_forward(np.ones((4, 2)), np.ones(2), np.zeros(2), mean, var)
