"""softmax_cross_entropy and mse_loss (value and gradient) against torch + autograd."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from convkit import losses
from convkit.functional import mse_loss, softmax_cross_entropy


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


def test_cross_entropy_gradient_rows_sum_to_zero(rng):
    logits = rng.standard_normal((6, 4))
    _, dlogits = softmax_cross_entropy(logits, [0, 1, 2, 3, 0, 1])
    np.testing.assert_allclose(dlogits.sum(axis=1), 0.0, atol=1e-15)


@pytest.mark.parametrize("labels_dtype", [np.int8, np.int32, np.uint8, np.int64])
def test_cross_entropy_accepts_any_integer_labels(labels_dtype, rng):
    logits = rng.standard_normal((4, 3))
    y = np.array([0, 2, 1, 2])
    expected = softmax_cross_entropy(logits, y)
    loss, dlogits = softmax_cross_entropy(logits, y.astype(labels_dtype))
    assert loss == expected[0]
    np.testing.assert_array_equal(dlogits, expected[1])
    assert softmax_cross_entropy(logits, y.tolist())[0] == expected[0]  # a list works too


@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 4, 5)], ids=str)
def test_mse_matches_torch(shape, dtype, tol, layout, rng, as_layout, assert_close):
    pred = as_layout(rng.standard_normal(shape).astype(dtype), layout)
    target = as_layout(rng.standard_normal(shape).astype(dtype), layout)
    loss, dpred = mse_loss(pred, target)
    expected_loss, expected_grad = _torch_loss(tF.mse_loss, pred, target)
    assert isinstance(loss, float)
    assert loss == pytest.approx(expected_loss, rel=tol["rtol"], abs=tol["atol"])
    assert_close(dpred, expected_grad, dtype)


def test_mse_integer_target_follows_pred_dtype():
    loss, dpred = mse_loss(np.array([1.0, 2.0], dtype=np.float32), np.array([0, 4]))
    assert loss == pytest.approx(2.5)
    assert dpred.dtype == np.float32
    np.testing.assert_array_equal(dpred, [1.0, -2.0])


# -- registry ----------------------------------------------------------------------------------------------
# registered name -> (prediction, target) it takes
LOSS_INPUTS = {
    "cross_entropy": (np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3]]), np.array([0, 2])),
    "mse": (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, 2.0], [3.0, 5.0]])),
}


def test_every_registered_loss_has_inputs_here():
    assert set(losses.LOSSES) == set(LOSS_INPUTS)


@pytest.mark.parametrize("name", sorted(losses.LOSSES))
def test_get_returns_the_registered_loss(name):
    loss_fn = losses.get(name)
    assert loss_fn is losses.LOSSES[name]
    pred, target = LOSS_INPUTS[name]
    loss, dpred = loss_fn(pred, target)
    assert isinstance(loss, float) and dpred.shape == pred.shape


def test_compile_names_map_to_the_functional_losses():
    assert losses.get("cross_entropy") is softmax_cross_entropy
    assert losses.get("mse") is mse_loss


def test_unknown_loss_lists_the_known_ones():
    with pytest.raises(
        ValueError, match=re.escape("Expected one of ['cross_entropy', 'mse']. Received: loss='l1'")
    ):
        losses.get("l1")


def test_register_a_custom_loss(monkeypatch):
    @losses.register("half_mse")
    def half_mse(pred, target):
        loss, dpred = mse_loss(pred, target)
        return loss / 2, dpred / 2

    try:
        assert losses.get("half_mse") is half_mse
        with pytest.raises(ValueError, match="another loss is already registered as 'mse'"):
            losses.register("mse")(half_mse)
    finally:
        del losses.LOSSES["half_mse"]
