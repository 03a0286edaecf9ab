"""Losses that return (loss, gradient w.r.t. the prediction), both reduced as a mean like torch's default.

Each loss registers itself under the name ``compile(loss=...)`` takes, with ``@register("name")``;
``convkit.losses.get`` looks them up.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import check_ndim, check_shape, float_array, labels

LossFn = Callable[[np.ndarray, np.ndarray], "tuple[float, np.ndarray]"]

LOSSES: dict[str, LossFn] = {}  # name -> loss(prediction, target) -> (mean loss, dprediction)


def register(name: str) -> Callable[[LossFn], LossFn]:
    """Function decorator: make the loss known to ``convkit.losses.get`` (and ``compile``) as ``name``."""

    def decorator(loss: LossFn) -> LossFn:
        known = LOSSES.get(name)
        if known is not None and known is not loss:
            raise ValueError(f"register: another loss is already registered as {name!r}: {known!r}")
        LOSSES[name] = loss
        return loss

    return decorator


@register("cross_entropy")  # logits (N, K) and integer labels (N,), as torch
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


@register("mse")  # prediction and target of the same shape
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
