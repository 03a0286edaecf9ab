"""Classification metrics by name: each maps (logits (N, K), integer labels (N,)) to a fraction in [0, 1]."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose highest score is the label."""
    return float(np.mean(np.argmax(logits, axis=1) == y))


def top5_accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose label is among the five highest scores (all rows when K <= 5)."""
    k = min(5, logits.shape[1])
    top = np.argpartition(logits, -k, axis=1)[:, -k:]  # (N, k), unordered
    return float(np.mean(np.any(top == y[:, None], axis=1)))


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "accuracy": accuracy,
    "top5": top5_accuracy,
}


def get(identifier: str) -> Callable[[np.ndarray, np.ndarray], float]:
    """The metric registered under ``identifier``."""
    if identifier not in METRICS:
        raise ValueError(
            f"Unknown metric. Expected one of {sorted(METRICS)}. Received: metric={identifier!r}"
        )
    return METRICS[identifier]
