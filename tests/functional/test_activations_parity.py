"""ReLU, leaky ReLU, sigmoid, tanh, ELU, GELU, SiLU, softplus, PReLU and softmax against torch + autograd."""

import warnings

import numpy as np
import pytest

from convkit import functional as F

torch = pytest.importorskip("torch", reason="torch is the reference of these parity tests")
tF = torch.nn.functional

ACTIVATIONS = {
    "relu": (F.relu_forward, F.relu_backward, torch.relu),
    "leaky_relu": (F.leaky_relu_forward, F.leaky_relu_backward, tF.leaky_relu),
    "leaky_relu_0.2": (
        lambda x: F.leaky_relu_forward(x, negative_slope=0.2),
        F.leaky_relu_backward,
        lambda x: tF.leaky_relu(x, 0.2),
    ),
    "sigmoid": (F.sigmoid_forward, F.sigmoid_backward, torch.sigmoid),
    "tanh": (F.tanh_forward, F.tanh_backward, torch.tanh),
    "softmax": (F.softmax_forward, F.softmax_backward, lambda x: torch.softmax(x, dim=-1)),
    "elu": (F.elu_forward, F.elu_backward, tF.elu),
    "elu_0.3": (lambda x: F.elu_forward(x, alpha=0.3), F.elu_backward, lambda x: tF.elu(x, alpha=0.3)),
    "gelu": (F.gelu_forward, F.gelu_backward, tF.gelu),
    "gelu_tanh": (
        lambda x: F.gelu_forward(x, approximate="tanh"),
        F.gelu_backward,
        lambda x: tF.gelu(x, approximate="tanh"),
    ),
    "silu": (F.silu_forward, F.silu_backward, tF.silu),
    "softplus": (F.softplus_forward, F.softplus_backward, tF.softplus),
    "softplus_beta2": (
        lambda x: F.softplus_forward(x, beta=2.0, threshold=3.0),
        F.softplus_backward,
        lambda x: tF.softplus(x, beta=2.0, threshold=3.0),
    ),
}
SHAPES = [(7,), (4, 5), (2, 3, 4, 5), (1, 1)]


@pytest.fixture(params=sorted(ACTIVATIONS))
def activation(request):
    return ACTIVATIONS[request.param]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_forward_and_backward_match_torch(shape, activation, dtype, layout, rng, check_parity):
    forward, backward, torch_fn = activation
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    x.flat[::3] = 0  # the kink: both use the derivative of the x <= 0 branch there
    check_parity(forward, backward, torch_fn, [x], layout)


def test_large_inputs_saturate_without_overflow(activation, dtype, assert_close):
    forward, backward, torch_fn = activation
    x = np.array([-1e4, -1e3, -100.0, 100.0, 1e3, 1e4], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning
        out, cache = forward(x)
        dx = backward(np.ones_like(x), cache)
    assert_close(out, torch_fn(torch.tensor(x)).numpy(), dtype)
    assert np.isfinite(out).all() and np.isfinite(dx).all()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_forward_like_torch(bad, activation, assert_close):
    forward, _, torch_fn = activation
    x = np.array([[-1.0, bad], [0.5, 2.0]])
    out, _ = forward(x)
    assert_close(out, torch_fn(torch.tensor(x)).numpy(), np.float64)
    assert np.isfinite(out[1]).all()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_upstream_gradient_like_torch(bad, activation, torch_run, assert_close):
    """A non-finite dout only reaches dx where the local derivative is not exactly zero (relu: x <= 0)."""
    forward, backward, torch_fn = activation
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])
    dout = np.full(5, bad)
    _, cache = forward(x)
    _, (expected,) = torch_run(torch_fn, [x], dout)
    assert_close(backward(dout, cache), expected, np.float64)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4, 5)], ids=str)
def test_prelu_matches_torch(channels, shape, dtype, layout, rng, check_parity):
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    x.flat[::3] = 0
    weight = rng.uniform(0.05, 0.5, channels).astype(dtype)
    check_parity(F.prelu_forward, F.prelu_backward, tF.prelu, [x, weight], layout)
