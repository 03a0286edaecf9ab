"""softmax_cross_entropy and mse_loss (value and gradient) against torch + autograd."""


import numpy as np
import pytest

from convkit.functional import mse_loss, softmax_cross_entropy

torch = pytest.importorskip("torch", reason="torch is the reference of these parity tests")
tF = torch.nn.functional


def _torch_loss(fn, pred, other):
    t = torch.tensor(np.array(pred), requires_grad=True)
    loss = fn(t, torch.tensor(np.array(other)))
    loss.backward()
    return loss.item(), t.grad.numpy()


@pytest.mark.parametrize("N, K", [(1, 2), (5, 3), (16, 10)])
@pytest.mark.parametrize("scale", [1.0, 1e3], ids=["unit", "1e3"])
def test_cross_entropy_matches_torch(N, K, scale, dtype, tol, layout, rng, as_layout, assert_close):
    logits = as_layout((rng.standard_normal((N, K)) * scale).astype(dtype), layout)
    y = rng.integers(0, K, size=N)
    loss, dlogits = softmax_cross_entropy(logits, y)
    expected_loss, expected_grad = _torch_loss(tF.cross_entropy, logits, y)
    assert isinstance(loss, float) and np.isfinite(loss)
    assert loss == pytest.approx(expected_loss, rel=tol["rtol"], abs=tol["atol"])
    assert_close(dlogits, expected_grad, dtype)


def test_cross_entropy_extreme_logits_are_finite(assert_close):
    logits = np.array([[1e3, -1e3, 0.0], [-1e3, -1e3, -1e3], [1e3, 1e3 - 1.0, 1e3]])
    y = np.array([1, 2, 0])
    loss, dlogits = softmax_cross_entropy(logits, y)
    expected_loss, expected_grad = _torch_loss(tF.cross_entropy, logits, y)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    assert loss == pytest.approx((2e3 + np.log(3) + np.log(2 + np.exp(-1.0))) / 3, rel=1e-12)
    assert_close(dlogits, expected_grad, np.float64)


@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 4, 5)], ids=str)
def test_mse_matches_torch(shape, dtype, tol, layout, rng, as_layout, assert_close):
    pred = as_layout(rng.standard_normal(shape).astype(dtype), layout)
    target = as_layout(rng.standard_normal(shape).astype(dtype), layout)
    loss, dpred = mse_loss(pred, target)
    expected_loss, expected_grad = _torch_loss(tF.mse_loss, pred, target)
    assert isinstance(loss, float)
    assert loss == pytest.approx(expected_loss, rel=tol["rtol"], abs=tol["atol"])
    assert_close(dpred, expected_grad, dtype)
