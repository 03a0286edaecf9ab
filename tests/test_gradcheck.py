"""Numerical gradient checks (float64) of every forward/backward pair, and of convkit.gradcheck itself."""

import numpy as np
import pytest

from convkit import functional as F
from convkit.gradcheck import check_gradients, numerical_gradient, relative_error

MAX_ERROR = 1e-7


RNG = np.random.default_rng(2024)  # not check_gradients' seed 0: dout must not equal x


def _normal(*shape):
    return RNG.standard_normal(shape)


X4 = _normal(2, 3, 6, 5)
RUNNING = {"running_mean": _normal(3), "running_var": np.array([0.5, 1.0, 2.0])}

# (forward, backward, inputs whose gradients backward returns, keyword arguments of forward)
PAIRS = {
    "affine": (F.affine_forward, F.affine_backward, [_normal(3, 2, 4), _normal(8, 5), _normal(5)], {}),
    "relu": (F.relu_forward, F.relu_backward, [X4], {}),
    "leaky_relu": (F.leaky_relu_forward, F.leaky_relu_backward, [X4], {"negative_slope": 0.1}),
    "sigmoid": (F.sigmoid_forward, F.sigmoid_backward, [X4], {}),
    "tanh": (F.tanh_forward, F.tanh_backward, [X4], {}),
    "conv2d": (F.conv2d_forward, F.conv2d_backward, [X4, _normal(4, 3, 3, 3), _normal(4)], {}),
    "conv2d-stride-pad": (
        F.conv2d_forward,
        F.conv2d_backward,
        [X4, _normal(2, 3, 2, 3), _normal(2)],
        {"stride": (2, 3), "padding": (1, 2)},
    ),
    "conv2d-1x1": (F.conv2d_forward, F.conv2d_backward, [X4, _normal(2, 3, 1, 1), _normal(2)], {"stride": 2}),
    "maxpool2d": (F.maxpool2d_forward, F.maxpool2d_backward, [X4], {"pool_size": 2}),
    "maxpool2d-overlap": (F.maxpool2d_forward, F.maxpool2d_backward, [X4], {"pool_size": 3, "stride": 1}),
    "avgpool2d": (F.avgpool2d_forward, F.avgpool2d_backward, [X4], {"pool_size": (3, 2), "stride": (1, 2)}),
    "batchnorm-4d": (
        F.batchnorm_forward,
        F.batchnorm_backward,
        [X4, _normal(3), _normal(3)],
        {"running_mean": None, "running_var": None},
    ),
    "batchnorm-2d": (
        F.batchnorm_forward,
        F.batchnorm_backward,
        [_normal(6, 3), _normal(3), _normal(3)],
        {"running_mean": None, "running_var": None},
    ),
    "batchnorm-eval": (
        F.batchnorm_forward,
        F.batchnorm_backward,
        [X4, _normal(3), _normal(3)],
        {**RUNNING, "training": False},
    ),
    "dropout": (F.dropout_forward, F.dropout_backward, [X4], {"p": 0.3, "training": True, "rng": 7}),
}


@pytest.mark.parametrize("pair", PAIRS.values(), ids=PAIRS.keys())
def test_analytic_gradients_match_numerical(pair):
    forward, backward, inputs, kwargs = pair
    errors = check_gradients(forward, backward, inputs, **kwargs)
    assert len(errors) == len(inputs)
    assert max(errors) < MAX_ERROR, errors


@pytest.mark.parametrize(
    "loss, y",
    [(F.softmax_cross_entropy, np.array([0, 3, 1, 3, 2])), (F.mse_loss, _normal(5, 4))],
    ids=["cross_entropy", "mse"],
)
def test_loss_gradients_match_numerical(loss, y):
    pred = _normal(5, 4) * 3
    _, analytic = loss(pred, y)
    numeric = numerical_gradient(lambda p: np.array(loss(p, y)[0]), pred, 1.0)
    assert relative_error(analytic, numeric) < MAX_ERROR


def test_check_gradients_catches_a_wrong_backward():
    def wrong_backward(dout, cache):  # forgets the x < 0 branch of leaky ReLU
        x, _ = cache
        return dout * (x > 0)

    errors = check_gradients(F.leaky_relu_forward, wrong_backward, [X4], negative_slope=0.5)
    assert errors[0] > 0.1


def test_check_gradients_accepts_non_contiguous_and_leaves_inputs_alone():
    x = np.asfortranarray(_normal(3, 4))
    w, b = _normal(2, 8)[:, ::2].T, _normal(2)  # w: a transposed, strided view
    originals = [a.copy() for a in (x, w, b)]
    errors = check_gradients(F.affine_forward, F.affine_backward, [x, w, b])
    assert max(errors) < MAX_ERROR
    for a, original in zip((x, w, b), originals):
        np.testing.assert_array_equal(a, original)


def test_numerical_gradient_of_a_known_function():
    x = _normal(3, 4)
    df = _normal(3, 4)
    grad = numerical_gradient(lambda x: np.sin(x) * x, x, df)
    np.testing.assert_allclose(grad, (np.cos(x) * x + np.sin(x)) * df, rtol=1e-7, atol=1e-9)


def test_numerical_gradient_is_exact_for_a_linear_map():
    A = _normal(4, 6)
    x = _normal(6)
    df = _normal(4)
    grad = numerical_gradient(lambda x: A @ x, x, df)
    np.testing.assert_allclose(grad, A.T @ df, rtol=1e-9, atol=1e-10)


def test_numerical_gradient_restores_x_and_returns_float64():
    x = _normal(2, 3).astype(np.float32)
    original = x.copy()
    grad = numerical_gradient(lambda x: x * 2, x, np.ones((2, 3)), h=1e-2)
    np.testing.assert_array_equal(x, original)
    assert grad.dtype == np.float64 and grad.shape == (2, 3)
    np.testing.assert_allclose(grad, 2.0, rtol=1e-5)


def test_numerical_gradient_rejects_a_non_contiguous_x():
    with pytest.raises(ValueError, match="x must be contiguous"):
        numerical_gradient(lambda x: x, np.asfortranarray(_normal(3, 4)), np.ones((3, 4)))


def test_relative_error():
    a = np.array([3.0, 4.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, -a) == 1.0
    assert relative_error(a, np.zeros(2)) == 1.0
    assert relative_error(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(np.sqrt(2) / 2)
    assert relative_error(a, a + [0.0, 1e-6]) == pytest.approx(1e-6 / 10)
