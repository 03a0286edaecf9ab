"""batchnorm_forward / batchnorm_backward against torch.nn.functional.batch_norm + autograd, including the
in-place running-statistic updates of torch.nn.BatchNorm1d/2d."""

import pytest

from convkit.functional import batchnorm_backward, batchnorm_forward

torch = pytest.importorskip("torch", reason="torch is the reference of these parity tests")
tF = torch.nn.functional

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
