"""Losses that return (loss, gradient w.r.t. the prediction), both reduced as a mean like torch's default.

Each loss registers itself under the name ``compile(loss=...)`` takes, with ``@register("name")``;
``convkit.losses.get`` looks them up. ``register(name, labels=True)`` marks a loss whose targets are integer
class labels (N,), ``logits=True`` one whose predictions are unnormalized scores.

Every loss takes an optional ``sample_weight`` (N,): each sample's loss is multiplied by its weight, then
the sum is divided by the batch size N (Keras's ``sum_over_batch_size``), and the gradient likewise.
Without it the loss is the plain mean, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .._registry import add
from .._validation import check_ndim, check_shape, float_array, labels, real, sample_weight_array

LossFn = Callable[..., "tuple[float, np.ndarray]"]  # (prediction, target, sample_weight=None)

LOSSES: dict[str, LossFn] = {}  # name -> loss(prediction, target) -> (mean loss, dprediction)


class LossKind(NamedTuple):
    """What a loss expects: integer class labels as targets, logits (not probabilities) as predictions."""

    labels: bool = False
    logits: bool = False


LOSS_KINDS: dict[str, LossKind] = {}  # name -> what the registered loss expects

# Keras's epsilon: probabilities are clipped to [EPSILON, 1 - EPSILON] before the log
EPSILON = 1e-7


def register(name: str, *, labels: bool = False, logits: bool = False) -> Callable[[LossFn], LossFn]:
    """Function decorator: make the loss known to ``convkit.losses.get`` (and ``compile``) as ``name``;
    ``labels``: its targets are integer class labels, ``logits``: its predictions are unnormalized."""

    def decorator(loss: LossFn) -> LossFn:
        add(LOSSES, name, loss, "loss")
        LOSS_KINDS[name] = LossKind(labels, logits)
        return loss

    return decorator


def _class_scores(pred, y, where: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The checked (N, K) predictions and (N,) labels of a classification loss."""
    pred = float_array(pred, name, where)
    check_ndim(pred, (2,), name, where, "(N, K)")
    N, K = pred.shape
    if N == 0:
        raise ValueError(f"{where}: {name} must hold at least one row. Received: {name}.shape={pred.shape}")
    return pred, labels(y, K, N, where)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, K), max of each row is 0
    log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, 1)
    return shifted - log_norm  # (N, K)


@register("cross_entropy", labels=True, logits=True)  # logits (N, K) and integer labels (N,), as torch
def softmax_cross_entropy(
    logits, y, sample_weight=None, label_smoothing: float = 0.0
) -> tuple[float, np.ndarray]:
    """Softmax + negative log-likelihood, averaged over the batch (torch.nn.functional.cross_entropy).

    Inputs:
    - logits: (N, K) unnormalized scores
    - y: (N,) integer labels in [0, K)
    - sample_weight: None or (N,) non-negative weights: sum(weight * loss) / N
    - label_smoothing: in [0, 1]; the target is (1 - label_smoothing) * one_hot(y) + label_smoothing / K,
      as torch's ``label_smoothing``

    Returns (loss, dlogits) with dlogits (N, K). Stable for logits of any magnitude (max is subtracted).
    """
    where = "softmax_cross_entropy"
    logits, y = _class_scores(logits, y, where, "logits")
    N, K = logits.shape
    smoothing = real(label_smoothing, "label_smoothing", where, low=0.0, high=1.0, high_inclusive=True)
    log_probs = _log_softmax(logits)  # (N, K)
    rows = np.arange(N)
    dlogits = np.exp(log_probs)  # (N, K), the softmax
    if smoothing:
        per_sample = -(1 - smoothing) * log_probs[rows, y] - smoothing * log_probs.mean(axis=1)  # (N,)
        dlogits -= smoothing / K
        dlogits[rows, y] -= 1 - smoothing
    else:
        per_sample = -log_probs[rows, y]  # (N,)
        dlogits[rows, y] -= 1
    return _reduce(per_sample, dlogits, sample_weight, where)


def _reduce(per_sample: np.ndarray, dpred: np.ndarray, sample_weight, where: str) -> tuple[float, np.ndarray]:
    """(mean or weighted sum / N of the per-sample losses, their gradient (N, ...) divided likewise);
    ``dpred`` holds the gradient of each sample's unweighted loss and is scaled in place."""
    N = len(per_sample)
    if sample_weight is None:
        dpred /= N
        return float(per_sample.mean()), dpred
    weight = sample_weight_array(sample_weight, N, dpred.dtype, where)
    dpred *= (weight / N).reshape(N, *(1,) * (dpred.ndim - 1))  # (N, 1, ...)
    return float((per_sample * weight).sum() / N), dpred


@register("sparse_categorical_crossentropy", labels=True)  # probabilities (N, K), integer labels (N,)
def sparse_categorical_crossentropy(
    pred, y, sample_weight=None, from_logits: bool = False
) -> tuple[float, np.ndarray]:
    """Keras's sparse categorical cross-entropy: -log of the probability of each row's label.

    Inputs:
    - pred: (N, K) probabilities (a Softmax layer's output) or, with ``from_logits=True``, logits
    - y: (N,) integer labels in [0, K)
    - sample_weight: None or (N,) non-negative weights: sum(weight * loss) / N

    As Keras, probabilities are renormalized to sum to 1 over each row, then clipped to
    [1e-7, 1 - 1e-7] before the log (the gradient is 0 where the clip is active). With ``from_logits``
    it is ``softmax_cross_entropy``. Returns (loss, dpred) with dpred (N, K).
    """
    where = "sparse_categorical_crossentropy"
    if from_logits:
        return softmax_cross_entropy(pred, y, sample_weight)
    probs, y = _class_scores(pred, y, where, "pred")
    N = len(probs)
    rows = np.arange(N)
    total = probs.sum(axis=1)  # (N,)
    label_prob = probs[rows, y] / total  # (N,), renormalized
    clipped = np.clip(label_prob, EPSILON, 1 - EPSILON)
    per_sample = -np.log(clipped)  # (N,)
    # d(-log(p_y / s)) / dp_k = -[k == y] / p_y + 1 / s, where the clip lets the value through
    active = (label_prob >= EPSILON) & (label_prob <= 1 - EPSILON)  # (N,)
    dpred = np.zeros_like(probs)  # (N, K)
    dpred += (active / total)[:, None]
    dpred[rows, y] -= active / probs[rows, y].clip(min=np.finfo(probs.dtype).tiny)
    return _reduce(per_sample, dpred, sample_weight, where)


@register("mse")  # prediction and target of the same shape
def mse_loss(pred, target, sample_weight=None) -> tuple[float, np.ndarray]:
    """Mean squared error over every element (torch.nn.functional.mse_loss).

    Inputs: pred and target of the same shape; sample_weight: None or (N,) non-negative weights, each
    sample's loss being the mean over its elements (sum(weight * loss) / N, as Keras).
    Returns (loss, dpred) with dpred of pred's shape.
    """
    where = "mse_loss"
    pred = float_array(pred, "pred", where)
    target = float_array(target, "target", where, pred.dtype)
    check_shape(target, pred.shape, "target", where)
    if pred.size == 0:
        raise ValueError(f"{where}: pred must hold at least one element. Received: pred.shape={pred.shape}")
    diff = pred - target
    if sample_weight is None:
        loss = float(np.mean(diff * diff))
        dpred = diff * (pred.dtype.type(2) / pred.size)
        return loss, dpred
    N = len(pred)
    per_sample = (diff * diff).reshape(N, -1).mean(axis=1)  # (N,)
    return _reduce(per_sample, diff * (pred.dtype.type(2) * N / pred.size), sample_weight, where)


def _elementwise_pair(pred, target, where: str, pred_name: str = "pred") -> tuple[np.ndarray, np.ndarray]:
    """The checked prediction and target of an element-wise loss: same shape, at least one element."""
    pred = float_array(pred, pred_name, where)
    target = float_array(target, "target", where, pred.dtype)
    check_shape(target, pred.shape, "target", where)
    if pred.size == 0 or pred.ndim == 0:
        raise ValueError(
            f"{where}: {pred_name} must hold at least one sample. Received: {pred_name}.shape={pred.shape}"
        )
    return pred, target


def _reduce_elementwise(loss: np.ndarray, grad: np.ndarray, sample_weight, where: str):
    """The mean of an element-wise loss over every element (its gradient ``grad`` divided likewise), or
    with ``sample_weight`` (N,) the weighted sum over N of each sample's mean."""
    if sample_weight is None:
        return float(loss.mean()), grad / grad.dtype.type(grad.size)
    N = len(loss)
    per_sample = loss.reshape(N, -1).mean(axis=1)  # (N,)
    return _reduce(per_sample, grad * grad.dtype.type(N / grad.size), sample_weight, where)


@register("bce_with_logits", logits=True)  # logits and targets in [0, 1] of the same shape (multi-label)
def bce_with_logits(logits, target, sample_weight=None) -> tuple[float, np.ndarray]:
    """Sigmoid + binary cross-entropy on every element, averaged (torch.nn.BCEWithLogitsLoss): for each
    logit z and target y in [0, 1], max(z, 0) - z * y + log(1 + exp(-|z|)), stable for any magnitude.

    Inputs: logits (N, ...) and target of the same shape (multi-label targets in {0, 1}, or soft ones in
    [0, 1]); sample_weight: None or (N,) non-negative weights (sum(weight * per-sample mean) / N).
    Returns (loss, dlogits) with dlogits = (sigmoid(z) - y) / size.
    """
    where = "bce_with_logits"
    z, y = _elementwise_pair(logits, target, where, "logits")
    outside = ~((y >= 0) & (y <= 1))
    if outside.any():
        i = tuple(int(k) for k in np.unravel_index(int(np.flatnonzero(outside)[0]), y.shape))
        raise ValueError(f"{where}: target must hold values in [0, 1]. Received: target[{i}]={y[i]}")
    loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    e = np.exp(-np.abs(z))  # in (0, 1]: the sigmoid without overflow
    sigmoid = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return _reduce_elementwise(loss, (sigmoid - y).astype(z.dtype, copy=False), sample_weight, where)


@register("l1")  # prediction and target of the same shape
def l1_loss(pred, target, sample_weight=None) -> tuple[float, np.ndarray]:
    """Mean absolute error over every element (torch.nn.L1Loss); the gradient is sign(pred - target)
    (0 where they are equal) divided by the size. sample_weight as ``mse_loss``."""
    where = "l1_loss"
    pred, target = _elementwise_pair(pred, target, where)
    diff = pred - target
    return _reduce_elementwise(np.abs(diff), np.sign(diff), sample_weight, where)


@register("huber")  # prediction and target of the same shape
def huber_loss(pred, target, sample_weight=None, delta: float = 1.0) -> tuple[float, np.ndarray]:
    """Huber loss over every element, averaged (torch.nn.HuberLoss): 0.5 * d**2 where |d| < delta, else
    delta * (|d| - 0.5 * delta), d = pred - target; the gradient is clip(d, -delta, delta) / size.
    sample_weight as ``mse_loss``."""
    where = "huber_loss"
    pred, target = _elementwise_pair(pred, target, where)
    delta = real(delta, "delta", where, low=0.0, low_inclusive=False, wanted="a positive float")
    d = pred - target
    size = np.abs(d)
    loss = np.where(size < delta, 0.5 * d * d, delta * (size - 0.5 * delta))
    return _reduce_elementwise(
        loss, np.clip(d, -delta, delta).astype(pred.dtype, copy=False), sample_weight, where
    )
