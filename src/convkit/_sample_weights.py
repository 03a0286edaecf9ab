"""Per-sample loss weights from ``fit``'s ``sample_weight`` and ``class_weight``, with Keras's semantics.

Each sample's loss is multiplied by its weight, the sum divided by the batch size; ``class_weight`` gives
every sample of a class the class's weight (classes absent from the dict weigh 1), multiplied into
``sample_weight`` when both are given.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import is_real, sample_weight_array


def sample_weights(
    sample_weight, class_weight, y: np.ndarray, num_classes: int | None, dtype: np.dtype, where: str
) -> np.ndarray | None:
    """The (N,) weights of the samples of the targets ``y`` (None when neither argument is given)."""
    if sample_weight is None and class_weight is None:
        return None
    n = len(y)
    weight = np.ones(n, dtype=dtype)
    if sample_weight is not None:
        weight = sample_weight_array(sample_weight, n, dtype, where)
    if class_weight is not None:
        weight = weight * _class_weight_table(class_weight, num_classes, dtype, where)[y]
    return weight


def _class_weight_table(class_weight, num_classes: int | None, dtype: np.dtype, where: str) -> np.ndarray:
    """(K,) weights by class from ``{class: weight}``; the classes not named weigh 1."""
    if not isinstance(class_weight, dict):
        raise TypeError(
            f"{where}: class_weight must be a dict {{class index: weight}}. "
            f"Received: class_weight={class_weight!r}"
        )
    if num_classes is None:
        raise ValueError(
            f"{where}: class_weight needs a loss on integer class labels (such as 'cross_entropy'). "
            f"Received: class_weight={class_weight!r}"
        )
    table = np.ones(num_classes, dtype=dtype)
    for key, value in class_weight.items():
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, numbers.Integral):
            raise TypeError(
                f"{where}: class_weight keys must be int class indices. "
                f"Received: class_weight={class_weight!r}"
            )
        if not 0 <= key < num_classes:
            raise ValueError(
                f"{where}: class_weight keys must be classes in [0, {num_classes}). "
                f"Received: class_weight={class_weight!r}"
            )
        if not is_real(value):
            raise TypeError(
                f"{where}: class_weight values must be floats. Received: class_weight[{key!r}]={value!r}"
            )
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(
                f"{where}: class_weight values must be finite, non-negative floats. "
                f"Received: class_weight[{key!r}]={value!r}"
            )
        table[key] = value
    return table
