"""affine_forward / affine_backward against the NumPy matrix products they stand for."""

import numpy as np

from convkit.functional import affine_backward, affine_forward


def test_forward_and_backward_match_numpy(dtype, tol, rng):
    x = rng.standard_normal((4, 2, 3)).astype(dtype)  # flattened to (4, 6)
    w = rng.standard_normal((6, 5)).astype(dtype)
    b = rng.standard_normal(5).astype(dtype)
    dout = rng.standard_normal((4, 5)).astype(dtype)
    out, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)
    x2 = x.reshape(4, 6).astype(np.float64)
    np.testing.assert_allclose(out, x2 @ w + b, **tol)
    np.testing.assert_allclose(dx, (dout @ w.T.astype(np.float64)).reshape(x.shape), **tol)
    np.testing.assert_allclose(dw, x2.T @ dout, **tol)
    np.testing.assert_allclose(db, dout.sum(axis=0), **tol)
    assert out.dtype == dx.dtype == dw.dtype == db.dtype == dtype


def test_integer_inputs_become_float64(rng):
    x = rng.integers(-3, 4, size=(3, 4))
    w = rng.integers(-3, 4, size=(4, 2))
    out, cache = affine_forward(x, w, [1, 2])
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, x @ w + [1, 2])
    dx, dw, db = affine_backward(np.ones((3, 2), dtype=np.int64), cache)
    assert dx.dtype == dw.dtype == db.dtype == np.float64
