"""L2 weight decay: the penalty and its gradient, checked against torch autograd, and its arguments."""

import re

import numpy as np
import pytest

from convkit import layers
from convkit.regularizers import L2


def test_penalty_and_gradient_match_torch_autograd(rng, torch):
    weight = rng.standard_normal((4, 3))
    regularizer = L2(0.3)
    weight_t = torch.tensor(weight, requires_grad=True)
    penalty_t = 0.3 * (weight_t**2).sum()
    penalty_t.backward()
    assert regularizer(weight) == pytest.approx(penalty_t.item(), rel=1e-12)
    np.testing.assert_allclose(regularizer.gradient(weight), weight_t.grad.numpy(), rtol=1e-12)


def test_gradient_keeps_the_dtype():
    weight = np.ones((2, 2), np.float32)
    assert L2(0.1).gradient(weight).dtype == np.float32
    assert isinstance(L2(0.1)(weight), float)


def test_layer_penalty_and_gradient_against_torch(rng, torch):
    """loss = sum(out * dout) + penalty through torch autograd vs the layer's grads."""
    layer = layers.Conv2D(3, 2, kernel_regularizer=L2(0.05), dtype="float64", seed=0)
    x = rng.standard_normal((2, 2, 4, 4))
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    layer.backward(dout)
    weight_t = torch.tensor(layer.params["weight"], requires_grad=True)
    bias_t = torch.tensor(layer.params["bias"], requires_grad=True)
    out_t = torch.nn.functional.conv2d(torch.from_numpy(x), weight_t, bias_t)
    loss_t = (out_t * torch.from_numpy(dout)).sum() + 0.05 * (weight_t**2).sum()
    loss_t.backward()
    assert layer.regularization_loss() == pytest.approx(0.05 * (weight_t**2).sum().item(), rel=1e-12)
    np.testing.assert_allclose(layer.grads["weight"], weight_t.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], bias_t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_float_means_l2_and_config_holds_the_factor():
    layer = layers.Dense(2, kernel_regularizer=0.02)
    assert layer.kernel_regularizer == L2(0.02)
    assert layer.get_config()["kernel_regularizer"] == 0.02
    assert layers.Dense(2, kernel_regularizer=L2(0.5)).get_config()["kernel_regularizer"] == 0.5
    assert L2(0.5).get_config() == {"l2": 0.5} and repr(L2(0.5)) == "L2(l2=0.5)"


def test_layers_without_regularizer_have_no_penalty():
    for layer in (layers.Dense(2), layers.ReLU(), layers.BatchNorm()):
        layer.build((3,))
        assert layer.regularization_loss() == 0.0


@pytest.mark.parametrize(
    ("l2", "error"), [(-0.1, ValueError), (float("inf"), ValueError), ("0.1", TypeError), (True, TypeError)]
)
def test_bad_factor(l2, error):
    with pytest.raises(error, match=re.escape(f"L2: l2 must be a non-negative float. Received: l2={l2!r}")):
        L2(l2)
