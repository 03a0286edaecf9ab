"""The compiled layer/group norm kernels: every SIMD level against a NumPy float64 reference, and
bit-identical results for any thread count (inputs large enough to run in parallel)."""

import numpy as np
import pytest

import convkit
from convkit import functional as F

pytestmark = pytest.mark.usefixtures("restore_threads")

CASES = {  # name: (forward, backward); groupnorm with 4 groups
    "layernorm": (lambda x, w, b: F.layernorm_forward(x, w, b), F.layernorm_backward),
    "groupnorm": (lambda x, w, b: F.groupnorm_forward(x, w, b, 4), F.groupnorm_backward),
}


def _inputs(name, dtype, shape=(8, 16, 32, 32)):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
    params = shape[1:] if name == "layernorm" else shape[1:2]
    w = rng.uniform(0.5, 1.5, params).astype(dtype)
    b = rng.standard_normal(params).astype(dtype)
    dout = rng.standard_normal(shape).astype(dtype)
    return x, w, b, dout


def _reference(name, x, w, b, dout):
    """out, dx, dw, db in float64 by NumPy."""
    x, w, b, dout = (a.astype(np.float64) for a in (x, w, b, dout))
    N, C = x.shape[:2]
    rows = x.reshape(N, -1) if name == "layernorm" else x.reshape(N * 4, -1)
    mean = rows.mean(axis=1, keepdims=True)
    inv = 1 / np.sqrt(rows.var(axis=1, keepdims=True) + 1e-5)
    xhat = ((rows - mean) * inv).reshape(x.shape)
    wb = w if name == "layernorm" else w.reshape(C, 1, 1)
    out = xhat * wb + (b if name == "layernorm" else b.reshape(C, 1, 1))
    g = (dout * wb).reshape(rows.shape)
    xh = xhat.reshape(rows.shape)
    dx = inv * (g - g.mean(axis=1, keepdims=True) - xh * (g * xh).mean(axis=1, keepdims=True))
    axes = (0,) if name == "layernorm" else (0, 2, 3)
    return out, dx.reshape(x.shape), (dout * xhat).sum(axis=axes), dout.sum(axis=axes)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_simd_level_matches_numpy(name, dtype, simd):
    forward, backward = CASES[name]
    x, w, b, dout = _inputs(name, dtype, shape=(3, 8, 5, 7))
    out, cache = forward(x, w, b)
    results = (out, *backward(dout, cache))
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for actual, expected in zip(results, _reference(name, x, w, b, dout)):
        assert actual.dtype == dtype
        np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_results_are_bit_identical_for_any_thread_count(name, dtype):
    forward, backward = CASES[name]
    x, w, b, dout = _inputs(name, dtype)
    runs = []
    for n_threads in (1, 2, 3):
        convkit.set_num_threads(n_threads)
        out, cache = forward(x, w, b)
        runs.append((out, *backward(dout, cache)))
    for run in runs[1:]:
        for a, b_ in zip(runs[0], run):
            np.testing.assert_array_equal(a, b_)
