"""The functional losses (value and gradient) against torch + autograd: cross-entropy (with label
smoothing), Keras's sparse categorical cross-entropy on probabilities, MSE, BCE with logits, L1, Huber, and
per-sample weights."""

import numpy as np
import pytest

from convkit.functional import (
    bce_with_logits,
    huber_loss,
    l1_loss,
    mse_loss,
    softmax_backward,
    softmax_cross_entropy,
    softmax_forward,
)
from convkit.functional.losses import sparse_categorical_crossentropy

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


ELEMENTWISE = {  # name: (convkit loss, torch loss, target maker)
    "bce_with_logits": (
        bce_with_logits,
        tF.binary_cross_entropy_with_logits,
        lambda rng, shape: rng.integers(0, 2, size=shape),
    ),
    "l1": (l1_loss, tF.l1_loss, lambda rng, shape: rng.standard_normal(shape)),
    "huber": (huber_loss, tF.huber_loss, lambda rng, shape: rng.standard_normal(shape)),
    "huber_0.4": (
        lambda p, t: huber_loss(p, t, delta=0.4),
        lambda p, t: tF.huber_loss(p, t, delta=0.4),
        lambda rng, shape: rng.standard_normal(shape),
    ),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("shape", [(5,), (7, 3), (2, 3, 4, 5)], ids=str)
def test_elementwise_losses_match_torch(name, shape, dtype, tol, layout, rng, as_layout, assert_close):
    loss_fn, torch_fn, make_target = ELEMENTWISE[name]
    pred = as_layout((rng.standard_normal(shape) * 3).astype(dtype), layout)
    target = as_layout(make_target(rng, shape).astype(dtype), layout)
    loss, dpred = loss_fn(pred, target)
    expected_loss, expected_grad = _torch_loss(torch_fn, pred, target)
    assert isinstance(loss, float)
    assert loss == pytest.approx(expected_loss, rel=tol["rtol"], abs=tol["atol"])
    assert_close(dpred, expected_grad, dtype)


# -- label smoothing, probabilities, per-sample weights ---------------------------------------------------
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.5, 1.0])
def test_label_smoothing_matches_torch(smoothing, dtype, tol, rng, assert_close):
    logits = (rng.standard_normal((7, 5)) * 3).astype(dtype)
    y = rng.integers(0, 5, size=7)
    loss, dlogits = softmax_cross_entropy(logits, y, label_smoothing=smoothing)
    expected_loss, expected_grad = _torch_loss(
        lambda t, target: tF.cross_entropy(t, target, label_smoothing=smoothing), logits, y
    )
    assert loss == pytest.approx(expected_loss, rel=tol["rtol"], abs=tol["atol"])
    assert_close(dlogits, expected_grad, dtype)


def test_probabilities_loss_is_torch_nll_of_log_probabilities(dtype, tol, rng, assert_close):
    """On probabilities (a softmax output) the value is torch's nll_loss(log(p)); the gradient too, through
    the softmax (Keras's renormalization adds a constant per row, which the softmax's Jacobian removes)."""
    logits = rng.standard_normal((6, 4)).astype(dtype)
    y = rng.integers(0, 4, size=6)
    probs, cache = softmax_forward(logits)
    loss, dprobs = sparse_categorical_crossentropy(probs, y)
    expected_loss, _ = _torch_loss(lambda t, target: tF.nll_loss(torch.log(t), target), probs, y)
    assert loss == pytest.approx(expected_loss, rel=tol["rtol"], abs=tol["atol"])
    _, expected_dlogits = _torch_loss(tF.cross_entropy, logits, y)
    assert_close(softmax_backward(dprobs, cache), expected_dlogits, dtype)


def test_probabilities_loss_is_keras_formula_in_torch(rng, assert_close):
    """Value and gradient w.r.t. the probabilities equal Keras's formula written in torch: renormalize,
    clip to [1e-7, 1 - 1e-7], log, NLL; clipped rows (p = 0 and p = 1) get no gradient, as in torch."""
    probs = rng.random((5, 3)) + 0.1
    probs[1] = [0.0, 1.0, 0.0]  # label 0: clipped at 1e-7
    probs[2] = [0.0, 2.0, 0.0]  # label 1: renormalized to 1, clipped at 1 - 1e-7
    y = np.array([2, 0, 1, 1, 0])

    def keras(t, target):
        normalized = t / t.sum(dim=1, keepdim=True)
        return tF.nll_loss(torch.log(normalized.clamp(1e-7, 1 - 1e-7)), target)

    loss, dprobs = sparse_categorical_crossentropy(probs, y)
    expected_loss, expected_grad = _torch_loss(keras, probs, y)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    assert loss > 16 / 5  # -log(1e-7) / 5 from the clipped row alone
    assert_close(dprobs, expected_grad, np.float64)


def test_from_logits_is_cross_entropy(rng):
    logits, y = rng.standard_normal((4, 3)), np.array([0, 2, 1, 1])
    loss, grad = sparse_categorical_crossentropy(logits, y, from_logits=True)
    expected = softmax_cross_entropy(logits, y)
    assert loss == expected[0]
    np.testing.assert_array_equal(grad, expected[1])


WEIGHTED = {  # name: (convkit loss, torch per-sample loss with reduction="none", the prediction, target)
    "cross_entropy": (
        softmax_cross_entropy,
        lambda t, target: tF.cross_entropy(t, target, reduction="none"),
        lambda rng: (rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)),
    ),
    "label_smoothing": (
        lambda p, t, sample_weight: softmax_cross_entropy(p, t, sample_weight, label_smoothing=0.2),
        lambda t, target: tF.cross_entropy(t, target, reduction="none", label_smoothing=0.2),
        lambda rng: (rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)),
    ),
    "probabilities": (
        sparse_categorical_crossentropy,
        lambda t, target: tF.nll_loss(torch.log(t / t.sum(1, keepdim=True)), target, reduction="none"),
        lambda rng: (rng.random((6, 4)) + 0.05, rng.integers(0, 4, size=6)),
    ),
    "mse": (
        mse_loss,
        lambda t, target: tF.mse_loss(t, target, reduction="none").flatten(1).mean(1),
        lambda rng: (rng.standard_normal((6, 2, 3)), rng.standard_normal((6, 2, 3))),
    ),
    "bce_with_logits": (
        bce_with_logits,
        lambda t, target: tF.binary_cross_entropy_with_logits(t, target, reduction="none").flatten(1).mean(1),
        lambda rng: (rng.standard_normal((6, 5)) * 2, rng.integers(0, 2, size=(6, 5)).astype(float)),
    ),
    "l1": (
        l1_loss,
        lambda t, target: tF.l1_loss(t, target, reduction="none").flatten(1).mean(1),
        lambda rng: (rng.standard_normal((6, 2, 3)), rng.standard_normal((6, 2, 3))),
    ),
    "huber": (
        huber_loss,
        lambda t, target: tF.huber_loss(t, target, reduction="none").flatten(1).mean(1),
        lambda rng: (rng.standard_normal((6, 4)) * 2, rng.standard_normal((6, 4))),
    ),
}


@pytest.mark.parametrize("name", WEIGHTED)
def test_sample_weight_is_torch_unreduced_loss_times_weights_summed_over_n(name, rng, assert_close):
    loss_fn, torch_per_sample, make = WEIGHTED[name]
    pred, target = make(rng)
    weight = np.array([0.0, 1.0, 2.5, 0.5, 1.0, 3.0])
    loss, dpred = loss_fn(pred, target, sample_weight=weight)

    def weighted(t, target_t):
        return (torch_per_sample(t, target_t) * torch.from_numpy(weight)).sum() / len(weight)

    expected_loss, expected_grad = _torch_loss(weighted, pred, target)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    assert_close(dpred, expected_grad, np.float64)
    assert np.all(dpred[0] == 0)  # a zero weight: no gradient


@pytest.mark.parametrize("name", WEIGHTED)
def test_unit_weights_equal_no_weights(name, rng):
    loss_fn, _, make = WEIGHTED[name]
    pred, target = make(rng)
    loss, dpred = loss_fn(pred, target, sample_weight=np.ones(len(pred)))
    expected_loss, expected_grad = loss_fn(pred, target, sample_weight=None)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(dpred, expected_grad, rtol=1e-12)
