"""The vectorised 2x2 / stride-2 pooling kernels against torch and against the generic kernels, with odd
sizes (uncovered last row/column), rows shorter and longer than a vector, NaN/inf ties, every SIMD level."""

import numpy as np
import pytest

import convkit
from convkit.functional import avgpool2d_backward, avgpool2d_forward, maxpool2d_backward, maxpool2d_forward
from convkit.functional import pooling as pooling_module

SHAPES = [(64, 6, 26, 26), (3, 16, 11, 11), (2, 3, 7, 6), (1, 1, 2, 2), (2, 2, 65, 67), (5, 3, 4, 34)]
POOLS = {
    "max": (maxpool2d_forward, maxpool2d_backward, "max_pool2d"),  # the torch.nn.functional counterpart
    "avg": (avgpool2d_forward, avgpool2d_backward, "avg_pool2d"),
}


@pytest.mark.parametrize("kind", sorted(POOLS))
@pytest.mark.parametrize("shape", SHAPES, ids=["x".join(map(str, s)) for s in SHAPES])
def test_2x2_matches_torch(shape, kind, simd, dtype, check_parity, torch):
    forward, backward, torch_name = POOLS[kind]
    torch_pool = getattr(torch.nn.functional, torch_name)
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    assert pooling_module._is_2x2(2, 2, 2, 2)
    check_parity(lambda x: forward(x, 2), backward, lambda x: torch_pool(x, 2), [x])


@pytest.mark.parametrize("kind", sorted(POOLS))
def test_2x2_kernel_agrees_with_the_generic_one(kind, dtype, monkeypatch):
    forward, backward, _ = POOLS[kind]
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 9, 12)).astype(dtype)
    x[0, 0, :2, :2] = 1.0  # ties: the first element wins
    out, cache = forward(x, 2)
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx = backward(dout, cache)
    monkeypatch.setattr(pooling_module, "_FAST_2X2", False)
    out_generic, cache_generic = forward(x, 2)
    dx_generic = backward(dout, cache_generic)
    if kind == "max":
        assert np.array_equal(out, out_generic) and np.array_equal(dx, dx_generic)
    else:
        tol = 1e-5 if dtype == np.float32 else 1e-12  # the generic kernel sums in double
        np.testing.assert_allclose(out, out_generic, rtol=tol, atol=tol)
        np.testing.assert_allclose(dx, dx_generic, rtol=tol, atol=tol)


def test_2x2_max_nan_and_inf_follow_torch(simd, assert_close, torch):
    rows = [
        [np.nan, 1.0, 2.0, np.nan],
        [1.0, np.nan, -np.inf, -np.inf],
        [np.inf, 1.0, -np.inf, -np.inf],
        [np.nan, np.nan, 0.0, 0.0],
    ]
    x = np.tile(np.array(rows)[None, None], (2, 3, 5, 5))  # (2, 3, 20, 20): many windows per row
    out, cache = maxpool2d_forward(x, 2)
    dout = np.arange(out.size, dtype=float).reshape(out.shape) + 1
    dx = maxpool2d_backward(dout, cache)
    xt = torch.tensor(x, requires_grad=True)
    ot = torch.nn.functional.max_pool2d(xt, 2)
    ot.backward(torch.tensor(dout))
    assert_close(out, ot.detach().numpy(), np.float64)
    assert_close(dx, xt.grad.numpy(), np.float64)


def test_2x2_backward_keeps_inf_upstream_where_it_belongs(assert_close):
    x = np.random.default_rng(2).standard_normal((1, 1, 4, 4))
    out, cache = maxpool2d_forward(x, 2)
    dout = np.full(out.shape, np.inf)
    dx = maxpool2d_backward(dout, cache)
    assert np.isinf(dx).sum() == 4 and (dx[np.isfinite(dx)] == 0).all()  # never inf * 0 = NaN


@pytest.mark.parametrize("kind", sorted(POOLS))
def test_2x2_bit_identical_for_any_thread_count(kind, dtype, restore_threads):
    forward, backward, _ = POOLS[kind]
    x = np.random.default_rng(3).standard_normal((16, 8, 30, 30)).astype(dtype)  # > 64K elements: threads
    results = []
    for n_threads in (1, 2, 3):
        convkit.set_num_threads(n_threads)
        out, cache = forward(x, 2)
        results.append((out, backward(np.ones_like(out), cache)))
    for out, dx in results[1:]:
        assert np.array_equal(out, results[0][0]) and np.array_equal(dx, results[0][1])
