"""softmax_cross_entropy and mse_loss: values against NumPy formulas, gradients, label and target dtypes."""

import numpy as np
import pytest

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
