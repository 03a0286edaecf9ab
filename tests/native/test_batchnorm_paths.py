"""Batch-norm kernels on both of their loops: rows of L >= 16 pixels (row-wise sums, the batch statistics
in one pass about each row's mean) and short rows (L < 16, e.g. BatchNorm1d's L = 1: column sums across
channels, vector blocks with an overlapping last vector), every SIMD level, a large mean (no
cancellation), thread counts; the fused ReLU (batchnorm_relu_*, its backward gate recomputed from x, also
at the kink) and the fused residual sum + ReLU (batchnorm_add_relu_*) on the same loops: torch's
relu(batch_norm(x)) and relu(batch_norm(x) + residual), and bit for bit the unfused ops."""

import numpy as np
import pytest

import convkit
from convkit.functional import (
    add_relu_backward,
    add_relu_forward,
    batchnorm_add_relu_backward,
    batchnorm_add_relu_forward,
    batchnorm_backward,
    batchnorm_forward,
    batchnorm_relu_backward,
    batchnorm_relu_forward,
    relu_backward,
    relu_forward,
)

SHAPES = [(256, 120), (7, 300), (5, 3), (9, 17), (4, 5, 2, 2), (3, 6, 4, 5), (2, 3, 11, 11), (3, 2, 16, 17)]


@pytest.mark.parametrize("relu", [False, True], ids=["plain", "fused-relu"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("shape", SHAPES, ids=["x".join(map(str, s)) for s in SHAPES])
def test_matches_torch(shape, training, relu, simd, dtype, check_parity, assert_close, torch):
    rng = np.random.default_rng(0)
    C = shape[1]
    x = (rng.standard_normal(shape) * 3 + 100).astype(dtype)  # a large mean: centred before scaling
    gamma, beta = rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)
    mean, var = rng.standard_normal(C).astype(dtype) + 100, rng.uniform(5, 12, C).astype(dtype)
    tmean, tvar = torch.tensor(mean), torch.tensor(var)
    forward, backward = (
        (batchnorm_relu_forward, batchnorm_relu_backward) if relu else (batchnorm_forward, batchnorm_backward)
    )
    activation = torch.relu if relu else (lambda out: out)
    check_parity(
        lambda x, g, b: forward(x, g, b, mean, var, training),
        backward,
        lambda x, g, b: activation(torch.nn.functional.batch_norm(x, tmean, tvar, g, b, training)),
        [x, gamma, beta],
    )
    assert_close(mean, tmean.numpy(), dtype)
    assert_close(var, tvar.numpy(), dtype)


@pytest.mark.parametrize("shape", SHAPES, ids=["x".join(map(str, s)) for s in SHAPES])
def test_training_forward_matches_numpy(shape, simd, dtype, tol):
    rng = np.random.default_rng(2)
    C = shape[1]
    x = (rng.standard_normal(shape) * 3 + 100).astype(dtype)
    gamma, beta = rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)
    out, _ = batchnorm_forward(x, gamma, beta, None, None, eps=1e-5)
    axes = (0, *range(2, x.ndim))  # every axis but the channels
    per_channel = (1, C) + (1,) * (x.ndim - 2)
    x64 = x.astype(np.float64)
    mean, var = x64.mean(axis=axes, keepdims=True), x64.var(axis=axes, keepdims=True)
    normalized = (x64 - mean) / np.sqrt(var + 1e-5)
    expected = normalized * gamma.reshape(per_channel) + beta.reshape(per_channel)
    np.testing.assert_allclose(out, expected, **tol)


@pytest.mark.parametrize("shape", [(256, 120), (64, 16, 11, 11), (8, 40, 3, 3)])
def test_bit_identical_for_any_thread_count(shape, dtype, restore_threads):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    C = shape[1]
    results = []
    for n_threads in (1, 2, 3):
        convkit.set_num_threads(n_threads)
        out, cache = batchnorm_forward(x, np.ones(C, dtype), np.zeros(C, dtype), None, None)
        relu_out, relu_cache = batchnorm_relu_forward(x, np.ones(C, dtype), np.zeros(C, dtype), None, None)
        sum_out, sum_cache = batchnorm_add_relu_forward(
            x, np.sin(x), np.ones(C, dtype), np.zeros(C, dtype), None, None
        )
        results.append(
            (
                out,
                *batchnorm_backward(np.cos(x), cache),
                relu_out,
                *batchnorm_relu_backward(np.cos(x), relu_cache),
                sum_out,
                *batchnorm_add_relu_backward(np.cos(x), sum_cache),
            )
        )
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert np.array_equal(a, b)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("shape", SHAPES, ids=["x".join(map(str, s)) for s in SHAPES])
def test_fused_relu_is_the_unfused_pair_bit_for_bit(shape, training, simd, dtype):
    """The ReLU's select inside the normalization and the batch-norm sums gives exactly what a ReLU layer
    after the batch norm gives: the same sums in the same order."""
    rng = np.random.default_rng(4)
    C = shape[1]
    x = rng.standard_normal(shape).astype(dtype)
    dout = rng.standard_normal(shape).astype(dtype)
    dout.reshape(-1)[::7] = np.inf  # a select, not a product: inf where the ReLU is closed gives 0, not NaN
    gamma, beta = rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)
    running = (rng.standard_normal(C).astype(dtype), rng.uniform(0.5, 2, C).astype(dtype))
    stats = [tuple(a.copy() for a in running) for _ in range(2)]
    out, cache = batchnorm_relu_forward(x, gamma, beta, *stats[0], training)
    fused = (out, *batchnorm_relu_backward(dout, cache))
    bn_out, bn_cache = batchnorm_forward(x, gamma, beta, *stats[1], training)
    relu_out, relu_cache = relu_forward(bn_out)
    unfused = (relu_out, *batchnorm_backward(relu_backward(dout, relu_cache), bn_cache))
    for a, b in zip(fused, unfused):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(stats[0], stats[1])  # the same running-statistic updates


KINK_SHAPES = [(6, 3, 5, 7), (16, 4, 2, 2), (40, 3)]  # rows of 35, rows of 4 (column sums), L = 1


@pytest.mark.parametrize("shape", KINK_SHAPES, ids=["x".join(map(str, s)) for s in KINK_SHAPES])
def test_fused_relu_gate_at_the_kink_is_the_forward_relu(shape, simd, dtype):
    """The fused backward recomputes the ReLU's input from x, gamma and beta; where that input is within
    rounding of 0 (beta = -scale * (x0 - mean) for half the values, x0), the gate it finds is still exactly
    the forward's (out > 0), bit for bit against the unfused ReLU gated on the forward's output."""
    rng = np.random.default_rng(8)
    C = shape[1]
    x = rng.standard_normal(shape).astype(dtype)
    x0 = x[(0, slice(None)) + (0,) * (x.ndim - 2)].copy()  # (C,): a value of each channel
    kink = rng.random(shape) < 0.5
    x[kink] = np.broadcast_to(x0.reshape((1, C) + (1,) * (x.ndim - 2)), shape)[kink]
    gamma = rng.uniform(0.5, 2, C).astype(dtype)
    _, cache = batchnorm_forward(x, gamma, np.zeros(C, dtype), None, None)
    scale = (cache.inv_std * gamma).astype(dtype)
    beta = -(scale * (x0 - cache.mean.astype(dtype)))  # the normalised x0, negated, rounded to dtype
    dout = rng.standard_normal(shape).astype(dtype)
    out, fused_cache = batchnorm_relu_forward(x, gamma, beta, None, None)
    kink_out = out[kink]
    assert np.all(np.abs(kink_out) <= 1e-6 * np.abs(beta).max())  # the kink: 0 or a rounding residue
    fused = batchnorm_relu_backward(dout, fused_cache)
    bn_out, bn_cache = batchnorm_forward(x, gamma, beta, None, None)
    relu_out, relu_cache = relu_forward(bn_out)
    unfused = batchnorm_backward(relu_backward(dout, relu_cache), bn_cache)
    np.testing.assert_array_equal(out, relu_out)
    for a, b in zip(fused, unfused):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("shape", SHAPES, ids=["x".join(map(str, s)) for s in SHAPES])
def test_add_relu_matches_torch(shape, training, simd, dtype, check_parity, assert_close, torch):
    rng = np.random.default_rng(5)
    C = shape[1]
    x = (rng.standard_normal(shape) * 3 + 100).astype(dtype)
    residual = rng.standard_normal(shape).astype(dtype)
    gamma, beta = rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)
    mean, var = rng.standard_normal(C).astype(dtype) + 100, rng.uniform(5, 12, C).astype(dtype)
    tmean, tvar = torch.tensor(mean), torch.tensor(var)
    check_parity(
        lambda x, r, g, b: batchnorm_add_relu_forward(x, r, g, b, mean, var, training),
        batchnorm_add_relu_backward,
        lambda x, r, g, b: torch.relu(torch.nn.functional.batch_norm(x, tmean, tvar, g, b, training) + r),
        [x, residual, gamma, beta],
    )
    assert_close(mean, tmean.numpy(), dtype)
    assert_close(var, tvar.numpy(), dtype)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("shape", SHAPES, ids=["x".join(map(str, s)) for s in SHAPES])
def test_add_relu_is_the_unfused_ops_bit_for_bit(shape, training, simd, dtype):
    """The residual added inside the normalization pass gives exactly batchnorm_forward then
    add_relu_forward: the sum after the shift, as the separate pass adds it."""
    rng = np.random.default_rng(6)
    C = shape[1]
    x, residual = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    dout = rng.standard_normal(shape).astype(dtype)
    dout.reshape(-1)[::7] = np.inf  # a select, not a product: inf where the ReLU is closed gives 0, not NaN
    gamma, beta = rng.standard_normal(C).astype(dtype), rng.standard_normal(C).astype(dtype)
    running = (rng.standard_normal(C).astype(dtype), rng.uniform(0.5, 2, C).astype(dtype))
    stats = [tuple(a.copy() for a in running) for _ in range(2)]
    out, cache = batchnorm_add_relu_forward(x, residual, gamma, beta, *stats[0], training)
    fused = (out, *batchnorm_add_relu_backward(dout, cache))
    bn_out, bn_cache = batchnorm_forward(x, gamma, beta, *stats[1], training)
    sum_out, sum_cache = add_relu_forward(bn_out, residual)
    dsum = add_relu_backward(dout, sum_cache)
    dx, dgamma, dbeta = batchnorm_backward(dsum, bn_cache)
    for a, b in zip(fused, (sum_out, dx, dsum, dgamma, dbeta)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(stats[0], stats[1])  # the same running-statistic updates


def test_add_relu_rejects_a_residual_of_another_shape(rng):
    x = rng.standard_normal((2, 3, 4, 4))
    gamma, beta = np.ones(3), np.zeros(3)
    with pytest.raises(
        ValueError, match=r"batchnorm_add_relu_forward: residual must have shape \(2, 3, 4, 4\)"
    ):
        batchnorm_add_relu_forward(x, x[:, :2], gamma, beta, None, None)
    with pytest.raises(TypeError, match="batchnorm_add_relu_forward: residual"):
        batchnorm_add_relu_forward(x, "shortcut", gamma, beta, None, None)
