"""Classification metrics by name: each maps (scores (N, K), integer labels (N,)) to a number in [0, 1].

Each metric registers itself under the name ``compile(metrics=[...])`` takes, with ``@register("name")``;
the scores are logits or probabilities (only their ranking counts).

Two kinds:
- batch metrics (``"accuracy"`` alias ``"acc"``, ``"top5"``): a mean over samples, so the mean of the
  batch values weighted by batch size is the epoch's value;
- confusion-matrix metrics (``"precision"``, ``"recall"``, ``"f1"``, macro-averaged as scikit-learn's
  ``average="macro"``), ``ConfusionMetric`` objects: a value of the counts of a whole epoch, which ``fit``
  accumulates batch after batch (Keras's stateful metrics).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._registry import add
from ._validation import labels, positive_int

MetricFn = Callable[[np.ndarray, np.ndarray], float]

METRICS: dict[str, MetricFn] = {}  # name -> metric(logits, y) -> float


def register(name: str) -> Callable[[MetricFn], MetricFn]:
    """Decorator: make the metric (a function or a ``ConfusionMetric``) known to ``get`` (and
    ``compile``) as ``name``."""

    def decorator(metric: MetricFn) -> MetricFn:
        add(METRICS, name, metric, "metric")
        return metric

    return decorator


@register("acc")  # Keras's short name; the history key is the name given to compile
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


# -- confusion matrix and the metrics computed from it ---------------------------------------------------
def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    """Counts (num_classes, num_classes), int64: ``cm[i, j]`` samples of true class i predicted as j.

    The same as scikit-learn's ``confusion_matrix(y_true, y_pred, labels=range(num_classes))``
    (rows true, columns predicted). Labels are integers in [0, num_classes).
    """
    where = "confusion_matrix"
    K = positive_int(num_classes, "num_classes", where)
    y_true = labels(y_true, K, len(np.asarray(y_true)), where)
    y_pred = labels(y_pred, K, len(y_true), where)
    return np.bincount(y_true * K + y_pred, minlength=K * K).astype(np.int64).reshape(K, K)


class ConfusionMetric:
    """A macro-averaged metric of the confusion matrix, ``from_counts(cm) -> float``.

    ``metric(logits, y)`` is its value on one batch; ``fit`` calls ``from_counts`` on the counts of every
    batch of the epoch so far. As scikit-learn's ``average="macro"`` with ``labels=None``, the mean runs
    over the classes present in y_true or in the predictions; a class never predicted has precision 0,
    one never true recall 0 (scikit-learn's ``zero_division="warn"`` result, without the warning).
    """

    def __init__(self, name: str, per_class: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]):
        self.name = name
        self.per_class = per_class  # (tp, true count, predicted count), each (K,) -> (K,) values

    def from_counts(self, cm: np.ndarray) -> float:
        tp = np.diag(cm).astype(np.float64)  # (K,)
        true, predicted = cm.sum(axis=1), cm.sum(axis=0)  # (K,), (K,)
        present = (true + predicted) > 0
        if not present.any():
            return 0.0
        return float(self.per_class(tp, true, predicted)[present].mean())

    def __call__(self, logits: np.ndarray, y: np.ndarray) -> float:
        K = logits.shape[1]
        return self.from_counts(confusion_matrix(y, np.argmax(logits, axis=1), K))

    def __repr__(self) -> str:
        return f"ConfusionMetric({self.name!r})"


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (scikit-learn's zero_division result)."""
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


register("precision")(ConfusionMetric("precision", lambda tp, true, pred: _ratio(tp, pred)))
register("recall")(ConfusionMetric("recall", lambda tp, true, pred: _ratio(tp, true)))
register("f1")(ConfusionMetric("f1", lambda tp, true, pred: _ratio(2 * tp, true + pred)))


def get(identifier: str) -> MetricFn:
    """The metric registered under ``identifier``."""
    if identifier not in METRICS:
        raise ValueError(
            f"Unknown metric. Expected one of {sorted(METRICS)}. Received: metric={identifier!r}"
        )
    return METRICS[identifier]


class EpochCounts:
    """The confusion matrix summed over an epoch's batches, for the ``ConfusionMetric``s among ``metrics``
    (name -> metric); ``results()`` is their value over the epoch (empty when there is none)."""

    def __init__(self, metrics: dict[str, MetricFn]):
        self.metrics = {name: m for name, m in metrics.items() if isinstance(m, ConfusionMetric)}
        self.counts: np.ndarray | None = None

    def update(self, logits: np.ndarray, y: np.ndarray) -> None:
        if not self.metrics:
            return
        counts = confusion_matrix(y, np.argmax(logits, axis=1), logits.shape[1])  # (K, K)
        self.counts = counts if self.counts is None else self.counts + counts

    def results(self) -> dict[str, float]:
        if self.counts is None:
            return {}
        return {name: metric.from_counts(self.counts) for name, metric in self.metrics.items()}
