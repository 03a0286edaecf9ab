"""batchnorm_forward / batchnorm_backward against torch.nn.functional.batch_norm + autograd, including the
in-place running-statistic updates of torch.nn.BatchNorm1d/2d."""

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from convkit.functional import batchnorm_backward, batchnorm_forward

SHAPES = [(8, 3), (1, 3, 4, 5), (4, 2, 3, 3), (2, 5), (3, 1, 1, 2)]
IDS = ["x".join(map(str, s)) for s in SHAPES]


def _params(rng, shape, dtype):
    C = shape[1]
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    gamma = rng.standard_normal(C).astype(dtype)
    beta = rng.standard_normal(C).astype(dtype)
    running_mean = rng.standard_normal(C).astype(dtype)
    running_var = rng.uniform(0.5, 2.0, C).astype(dtype)
    return x, gamma, beta, running_mean, running_var


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("momentum, eps", [(0.1, 1e-5), (0.3, 1e-3)])
def test_matches_torch_including_running_stats(
    shape, training, momentum, eps, dtype, layout, rng, check_parity, assert_close
):
    x, gamma, beta, running_mean, running_var = _params(rng, shape, dtype)
    torch_mean, torch_var = torch.tensor(running_mean), torch.tensor(running_var)
    check_parity(
        lambda x, g, b: batchnorm_forward(x, g, b, running_mean, running_var, training, momentum, eps),
        batchnorm_backward,
        lambda x, g, b: tF.batch_norm(x, torch_mean, torch_var, g, b, training, momentum, eps),
        [x, gamma, beta],
        layout,
    )
    # updated in place like torch's buffers (unbiased variance); untouched in eval mode
    assert_close(running_mean, torch_mean.numpy(), dtype)
    assert_close(running_var, torch_var.numpy(), dtype)


def test_running_stats_update_formula(rng):
    x = rng.standard_normal((6, 2, 3, 3))
    running_mean, running_var = np.array([1.0, -1.0]), np.array([2.0, 0.5])
    before_mean, before_var = running_mean.copy(), running_var.copy()
    batchnorm_forward(x, np.ones(2), np.zeros(2), running_mean, running_var, momentum=0.25)
    batch_mean = x.mean(axis=(0, 2, 3))
    batch_var = x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(running_mean, 0.75 * before_mean + 0.25 * batch_mean, rtol=1e-12)
    np.testing.assert_allclose(running_var, 0.75 * before_var + 0.25 * batch_var, rtol=1e-12)


@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_without_running_stats_uses_batch_stats(shape, training, dtype, rng, check_parity):
    """running_mean = running_var = None is torch's track_running_stats=False: batch statistics always."""
    x, gamma, beta, _, _ = _params(rng, shape, dtype)
    check_parity(
        lambda x, g, b: batchnorm_forward(x, g, b, None, None, training=training),
        batchnorm_backward,
        lambda x, g, b: tF.batch_norm(x, None, None, g, b, training=True),
        [x, gamma, beta],
    )


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
