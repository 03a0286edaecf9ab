"""Classification metrics by name: each maps (logits (N, K), integer labels (N,)) to a fraction in [0, 1].

Each metric registers itself under the name ``compile(metrics=[...])`` takes, with ``@register("name")``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MetricFn = Callable[[np.ndarray, np.ndarray], float]

METRICS: dict[str, MetricFn] = {}  # name -> metric(logits, y) -> float


def register(name: str) -> Callable[[MetricFn], MetricFn]:
    """Function decorator: make the metric known to ``get`` (and ``compile``) as ``name``."""

    def decorator(metric: MetricFn) -> MetricFn:
        known = METRICS.get(name)
        if known is not None and known is not metric:
            raise ValueError(f"register: another metric is already registered as {name!r}: {known!r}")
        METRICS[name] = metric
        return metric

    return decorator


@register("accuracy")
def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose highest score is the label."""
    return float(np.mean(np.argmax(logits, axis=1) == y))


@register("top5")
def top5_accuracy(logits: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose label is among the five highest scores (all rows when K <= 5)."""
    k = min(5, logits.shape[1])
    top = np.argpartition(logits, -k, axis=1)[:, -k:]  # (N, k), unordered
    return float(np.mean(np.any(top == y[:, None], axis=1)))


def get(identifier: str) -> MetricFn:
    """The metric registered under ``identifier``."""
    if identifier not in METRICS:
        raise ValueError(
            f"Unknown metric. Expected one of {sorted(METRICS)}. Received: metric={identifier!r}"
        )
    return METRICS[identifier]
