"""The checks of what ``fit``, ``train_on_batch``, ``evaluate`` and ``predict`` are given: inputs of the
model's input shape, targets its loss takes, loss weights; the first checked inputs build an unbuilt model."""

from __future__ import annotations

import numpy as np

from ._sample_weights import sample_weights
from ._validation import channels_last_hint, float_array, labels, not_an_iterable


def inputs(model, x, where: str) -> np.ndarray:
    """``x`` as a C-contiguous array of the model's dtype and input shape (N, ...)."""
    if where != "fit":
        not_an_iterable(
            x,
            "x",
            where,
            f"{where} takes arrays (N, ...): np.concatenate the batches first, or call "
            f"{where} on each batch; fit also takes an iterable of (x_batch, y_batch).",
        )
    x = float_array(x, "x", where, model.dtype)
    if x.ndim < 2:
        raise ValueError(f"{where}: x must have a batch axis (N, ...). Received: x.shape={x.shape}")
    expected = model.input_shape
    if expected is not None and x.shape[1:] != tuple(expected):
        raise ValueError(
            f"{where}: the model expects inputs of shape (N, {', '.join(map(str, expected))})."
            f"{channels_last_hint(x.shape[1:], expected)} Received: x.shape={x.shape}"
        )
    return np.ascontiguousarray(x)


def targets(model, y, n: int, where: str) -> np.ndarray:
    """``y`` as the compiled loss takes it: ``n`` labels, or ``n`` targets of the output shape."""
    if len(y) != n:
        raise ValueError(f"{where}: x and y must have the same length. Received: len(x)={n}, len(y)={len(y)}")
    if model._loss_kind.labels:
        return labels(y, model._output_shape()[-1], n, where)
    y = float_array(y, "y", where, model.dtype)
    if y.shape[1:] != model._output_shape():
        raise ValueError(
            f"{where}: targets must have shape (N, {', '.join(map(str, model._output_shape()))}) for "
            f"loss={model.loss!r}. Received: y.shape={y.shape}"
        )
    return y


def loss_weights(model, sample_weight, class_weight, y: np.ndarray, where: str) -> np.ndarray | None:
    """The (N,) loss weights of the checked targets ``y``, or None."""
    num_classes = model._output_shape()[-1] if model._loss_kind.labels else None
    return sample_weights(sample_weight, class_weight, y, num_classes, model.dtype, where)


def inputs_and_targets(model, x, y, where: str, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The checked ``(x, y)``; an unbuilt model is built from ``x``'s shape first (seeded by ``seed``)."""
    x = inputs(model, x, where)
    if not model.built:
        model.build(x.shape[1:], seed=seed)
    return x, targets(model, y, len(x), where)
