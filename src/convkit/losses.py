"""Training losses by name: each maps (prediction, target) to (mean loss, gradient w.r.t. the prediction)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .functional import mse_loss, softmax_cross_entropy

LossFn = Callable[[np.ndarray, np.ndarray], "tuple[float, np.ndarray]"]

LOSSES: dict[str, LossFn] = {
    "cross_entropy": softmax_cross_entropy,  # logits (N, K) and integer labels (N,), as torch
    "mse": mse_loss,  # prediction and target of the same shape
}


def get(identifier: str) -> LossFn:
    """The loss function registered under ``identifier``."""
    if identifier not in LOSSES:
        raise ValueError(f"Unknown loss. Expected one of {sorted(LOSSES)}. Received: loss={identifier!r}")
    return LOSSES[identifier]
