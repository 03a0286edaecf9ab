"""ReLU, leaky ReLU, sigmoid, tanh, ELU, GELU, SiLU, softplus and PReLU against NumPy formulas (values and
local derivatives)."""

import math

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
    "elu": (
        F.elu_forward,
        F.elu_backward,
        lambda x: np.where(x > 0, x, np.exp(x) - 1),
        lambda x: np.where(x > 0, 1, np.exp(x)),
    ),
    "elu_0.5": (
        lambda x: F.elu_forward(x, alpha=0.5),
        F.elu_backward,
        lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1)),
        lambda x: np.where(x > 0, 1, 0.5 * np.exp(x)),
    ),
    "gelu": (
        F.gelu_forward,
        F.gelu_backward,
        lambda x: x * _phi(x),
        lambda x: _phi(x) + x * np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi),
    ),
    "gelu_tanh": (
        lambda x: F.gelu_forward(x, approximate="tanh"),
        F.gelu_backward,
        lambda x: 0.5 * x * (1 + np.tanh(_K * (x + 0.044715 * x**3))),
        lambda x: _central_difference(lambda v: 0.5 * v * (1 + np.tanh(_K * (v + 0.044715 * v**3))), x),
    ),
    "silu": (
        F.silu_forward,
        F.silu_backward,
        lambda x: x / (1 + np.exp(-x)),
        lambda x: _central_difference(lambda v: v / (1 + np.exp(-v)), x),
    ),
    "softplus": (
        F.softplus_forward,
        F.softplus_backward,
        lambda x: np.where(x > 20, x, np.log(1 + np.exp(np.minimum(x, 20)))),
        lambda x: np.where(x > 20, 1, 1 / (1 + np.exp(-x))),
    ),
    "softplus_beta2": (
        lambda x: F.softplus_forward(x, beta=2.0, threshold=5.0),
        F.softplus_backward,
        lambda x: np.where(2 * x > 5, x, np.log(1 + np.exp(np.minimum(2 * x, 5))) / 2),
        lambda x: np.where(2 * x > 5, 1, 1 / (1 + np.exp(-2 * x))),
    ),
}


def _phi(x):
    """The standard normal CDF, by math.erf."""
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


_K = math.sqrt(2 / math.pi)


def _central_difference(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


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
    np.testing.assert_allclose(
        dx, dout * derivative(x64), rtol=max(tol["rtol"], 1e-8), atol=max(tol["atol"], 1e-8)
    )


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


@pytest.mark.parametrize("channels", [1, 3])
def test_prelu_matches_numpy(channels, dtype, tol, rng):
    x = (rng.standard_normal((4, 3, 2, 5)) * 3).astype(dtype)
    x.flat[::4] = 0
    weight = np.linspace(0.1, 0.4, channels).astype(dtype)
    slope = weight.reshape(1, -1, 1, 1)
    dout = rng.standard_normal(x.shape).astype(dtype)
    out, cache = F.prelu_forward(x, weight)
    dx, dweight = F.prelu_backward(dout, cache)
    np.testing.assert_allclose(out, np.where(x > 0, x, slope * x), **tol)
    np.testing.assert_allclose(dx, np.where(x > 0, dout, slope * dout), **tol)
    per_channel = np.where(x > 0, 0, dout * x).sum(axis=(0, 2, 3))
    np.testing.assert_allclose(dweight, per_channel if channels == 3 else [per_channel.sum()], **tol)
    assert dweight.shape == weight.shape and dweight.dtype == dtype


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: F.prelu_forward(np.zeros((2, 3)), np.ones(2)), ValueError, "one slope per channel"),
        (lambda: F.prelu_forward(np.zeros((2, 3)), np.ones((1, 1))), ValueError, "weight must be 1-D"),
        (lambda: F.gelu_forward(np.zeros(2), approximate="erf"), ValueError, "approximate must be one of"),
        (lambda: F.softplus_forward(np.zeros(2), beta=0), ValueError, "beta must be a positive float"),
        (lambda: F.elu_forward(np.zeros(2), alpha="1"), TypeError, "alpha must be a finite float"),
    ],
)
def test_bad_activation_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
