"""ReLU, leaky ReLU, sigmoid and tanh against NumPy formulas (values and local derivatives)."""

import numpy as np
import pytest

from convkit import functional as F

# name: (forward, backward, NumPy value, NumPy derivative); at the kink x = 0 the x <= 0 branch holds
REFERENCES = {
    "relu": (
        F.relu_forward,
        F.relu_backward,
        lambda x: np.where(x > 0, x, 0),
        lambda x: np.where(x > 0, 1, 0),
    ),
    "leaky_relu": (
        F.leaky_relu_forward,
        F.leaky_relu_backward,
        lambda x: np.where(x > 0, x, 0.01 * x),
        lambda x: np.where(x > 0, 1, 0.01),
    ),
    "leaky_relu_0.2": (
        lambda x: F.leaky_relu_forward(x, negative_slope=0.2),
        F.leaky_relu_backward,
        lambda x: np.where(x > 0, x, 0.2 * x),
        lambda x: np.where(x > 0, 1, 0.2),
    ),
    "sigmoid": (
        F.sigmoid_forward,
        F.sigmoid_backward,
        lambda x: 1 / (1 + np.exp(-x)),
        lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2,
    ),
    "tanh": (F.tanh_forward, F.tanh_backward, np.tanh, lambda x: 1 - np.tanh(x) ** 2),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_forward_and_backward_match_numpy(name, dtype, tol, rng):
    forward, backward, value, derivative = REFERENCES[name]
    x = (rng.standard_normal((4, 3, 5)) * 3).astype(dtype)
    x.flat[::4] = 0
    dout = rng.standard_normal(x.shape).astype(dtype)
    out, cache = forward(x)
    dx = backward(dout, cache)
    x64 = x.astype(np.float64)
    assert out.dtype == dx.dtype == dtype
    np.testing.assert_allclose(out, value(x64), **tol)
    np.testing.assert_allclose(dx, dout * derivative(x64), **tol)


def test_relu_zeroes_exactly_the_non_positive_inputs(rng):
    x = rng.standard_normal((50,))
    out, cache = F.relu_forward(x)
    dx = F.relu_backward(np.full(50, 2.0), cache)
    np.testing.assert_array_equal(out, np.where(x > 0, x, 0.0))
    np.testing.assert_array_equal(dx, np.where(x > 0, 2.0, 0.0))


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_a_0d_input_gives_0d_arrays_forward_and_backward(name, dtype, tol):
    forward, backward, value, derivative = REFERENCES[name]
    for x in (dtype(-3), dtype(0.5), np.array(2, dtype)):  # numpy scalars and a 0-d array
        out, cache = forward(x)
        dx = backward(np.array(1.5, dtype), cache)
        for result in (out, dx):
            assert type(result) is np.ndarray and result.shape == () and result.dtype == dtype
        x64 = np.float64(x)
        np.testing.assert_allclose(out, value(x64), **tol)
        np.testing.assert_allclose(dx, 1.5 * derivative(x64), **tol)
