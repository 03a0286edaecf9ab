"""Kernels offered to the rest of convkit: the GEMM on the convolution micro-kernel (dense layers without
BLAS threads) and ReLU forward/backward, against NumPy, at every SIMD level, for any thread count."""

import numpy as np
import pytest

from convkit import _kernels


@pytest.mark.parametrize("m, k, n", [(64, 400, 120), (1, 1, 1), (5, 3, 7), (130, 77, 300), (9, 0, 4)])
def test_gemm_matches_numpy(m, k, n, simd, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m)).astype(dtype).T  # a transposed (strided) view
    b = rng.standard_normal((k, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)
    expected = a.astype(np.float64) @ b.astype(np.float64) + bias
    results = []
    for n_threads in (1, 2, 3):
        out = np.empty((m, n), dtype)
        _kernels.gemm(a, b, out, bias, False, n_threads)
        results.append(out)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(results[0], expected, rtol=tol, atol=tol * max(1, k) ** 0.5)
    assert all(np.array_equal(results[0], r) for r in results[1:])
    out = np.empty((m, n), dtype)
    _kernels.gemm(a, b, out, None, False, 2)
    np.testing.assert_allclose(out, expected - bias, rtol=tol, atol=tol * max(1, k) ** 0.5)


def test_relu_matches_numpy(simd, dtype):
    x = np.random.default_rng(1).standard_normal(100_003).astype(dtype)
    x[:6] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0]
    dout = np.random.default_rng(2).standard_normal(x.shape).astype(dtype)
    dout[6:9] = [np.inf, np.nan, -np.inf]
    x[6:9] = [-1.0, -2.0, 3.0]
    for n_threads in (1, 2):
        out = np.empty_like(x)
        _kernels.relu_forward(x, out, n_threads)
        np.testing.assert_array_equal(out, np.maximum(x, 0))
        dx = np.empty_like(x)
        _kernels.relu_backward(x, dout, dx, n_threads)
        np.testing.assert_array_equal(dx, np.where(x > 0, dout, 0))
