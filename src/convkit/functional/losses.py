"""Losses that return (loss, gradient w.r.t. the prediction), both reduced as a mean like torch's default."""

from __future__ import annotations

import numpy as np

from .._validation import check_ndim, check_shape, float_array, labels


def softmax_cross_entropy(logits, y) -> tuple[float, np.ndarray]:
    """Softmax + negative log-likelihood, averaged over the batch (torch.nn.functional.cross_entropy).

    Inputs:
    - logits: (N, K) unnormalized scores
    - y: (N,) integer labels in [0, K)

    Returns (loss, dlogits) with dlogits (N, K). Stable for logits of any magnitude (max is subtracted).
    """
    where = "softmax_cross_entropy"
    logits = float_array(logits, "logits", where)
    check_ndim(logits, (2,), "logits", where, "(N, K)")
    N, K = logits.shape
    if N == 0:
        raise ValueError(f"{where}: logits must hold at least one row. Received: logits.shape={logits.shape}")
    y = labels(y, K, N, where)
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, K), max of each row is 0
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, 1)
    log_probs = shifted - log_norm  # (N, K)
    rows = np.arange(N)
    loss = -float(log_probs[rows, y].mean())
    dlogits = np.exp(log_probs)  # (N, K), the softmax
    dlogits[rows, y] -= 1
    dlogits /= N
    return loss, dlogits


def mse_loss(pred, target) -> tuple[float, np.ndarray]:
    """Mean squared error over every element (torch.nn.functional.mse_loss).

    Inputs: pred and target of the same shape. Returns (loss, dpred) with dpred of pred's shape.
    """
    where = "mse_loss"
    pred = float_array(pred, "pred", where)
    target = float_array(target, "target", where, pred.dtype)
    check_shape(target, pred.shape, "target", where)
    if pred.size == 0:
        raise ValueError(f"{where}: pred must hold at least one element. Received: pred.shape={pred.shape}")
    diff = pred - target
    loss = float(np.mean(diff * diff))
    dpred = diff * (pred.dtype.type(2) / pred.size)
    return loss, dpred
