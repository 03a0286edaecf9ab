"""softmax_cross_entropy and mse_loss: values against NumPy formulas, gradients, label and target dtypes."""

import re

import numpy as np
import pytest

from convkit import losses
from convkit.functional import mse_loss, softmax_cross_entropy


def test_cross_entropy_matches_numpy(rng):
    logits = rng.standard_normal((5, 4)) * 3
    y = np.array([0, 3, 1, 1, 2])
    loss, dlogits = softmax_cross_entropy(logits, y)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.log(p[np.arange(5), y]).mean(), rel=1e-12)
    np.testing.assert_allclose(dlogits, (p - np.eye(4)[y]) / 5, rtol=1e-12, atol=1e-15)


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


def test_mse_integer_target_follows_pred_dtype():
    loss, dpred = mse_loss(np.array([1.0, 2.0], dtype=np.float32), np.array([0, 4]))
    assert loss == pytest.approx(2.5)
    assert dpred.dtype == np.float32
    np.testing.assert_array_equal(dpred, [1.0, -2.0])


def test_mse_matches_numpy(rng):
    pred, target = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    loss, dpred = mse_loss(pred, target)
    assert loss == pytest.approx(((pred - target) ** 2).mean(), rel=1e-12)
    np.testing.assert_allclose(dpred, 2 * (pred - target) / pred.size, rtol=1e-12)




# -- registry ----------------------------------------------------------------------------------------------
# registered name -> (prediction, target) it takes
LOSS_INPUTS = {
    "cross_entropy": (np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3]]), np.array([0, 2])),
    "mse": (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, 2.0], [3.0, 5.0]])),
    "sparse_categorical_crossentropy": (np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]), np.array([0, 2])),
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
        ValueError,
        match=re.escape(
            "Expected one of ['cross_entropy', 'mse', 'sparse_categorical_crossentropy']. Received: loss='l1'"
        ),
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


# -- options and their checks ------------------------------------------------------------------------------
def test_label_smoothing_by_hand():
    logits = np.array([[2.0, 0.0, -1.0]])
    log_p = logits - np.log(np.exp(logits).sum())
    loss, dlogits = softmax_cross_entropy(logits, [1], label_smoothing=0.3)
    target = 0.7 * np.array([0.0, 1.0, 0.0]) + 0.3 / 3
    assert loss == pytest.approx(-(target * log_p).sum(), rel=1e-12)
    np.testing.assert_allclose(dlogits, np.exp(log_p) - target, rtol=1e-12)


def test_probabilities_loss_clips_as_keras():
    loss, grad = losses.get("sparse_categorical_crossentropy")(np.array([[1.0, 0.0]]), [1])
    assert loss == pytest.approx(-np.log(1e-7))
    np.testing.assert_array_equal(grad, 0.0)  # the clip is active: no gradient


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"label_smoothing": 1.5}, ValueError, r"label_smoothing must be a float in \[0.0, 1.0\]. Received"),
        ({"label_smoothing": "0.1"}, TypeError, "label_smoothing must be a float"),
        ({"sample_weight": [1.0, -1.0]}, ValueError, r"non-negative weights. Received: sample_weight\[1\]"),
        ({"sample_weight": [1.0, np.nan]}, ValueError, r"Received: sample_weight\[1\]=nan"),
        ({"sample_weight": [1.0]}, ValueError, r"sample_weight must have shape \(2,\)"),
        ({"sample_weight": ["a", "b"]}, TypeError, "sample_weight must be a real array"),
    ],
)
def test_bad_loss_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        softmax_cross_entropy(np.zeros((2, 3)), [0, 1], **kwargs)


def test_one_hot_labels_suggest_argmax():
    one_hot = np.eye(3)[[0, 2]]
    with pytest.raises(TypeError, match=re.escape("y looks one-hot: pass y.argmax(axis=1)")):
        softmax_cross_entropy(np.zeros((2, 3)), one_hot)
    with pytest.raises(ValueError, match=re.escape("y looks one-hot: pass y.argmax(axis=1)")):
        softmax_cross_entropy(np.zeros((2, 3)), one_hot.astype(int))
