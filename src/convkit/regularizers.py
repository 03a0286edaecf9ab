"""Weight penalties added to the training loss; layers take one as ``kernel_regularizer``."""

from __future__ import annotations

import numpy as np

from ._validation import non_negative_float


class L2:
    """L2 weight decay, as Keras' ``L2``: penalty = l2 * sum(weight**2), gradient = 2 * l2 * weight.

    (torch's ``weight_decay=wd`` on the optimizer adds ``wd * weight`` to the gradient: the same as
    ``L2(wd / 2)``.)
    """

    def __init__(self, l2: float = 0.01):
        self.l2 = non_negative_float(l2, "l2", "L2")

    def __call__(self, weight: np.ndarray) -> float:
        """The penalty l2 * sum(weight**2)."""
        return self.l2 * float(np.sum(np.square(weight, dtype=np.float64)))

    def gradient(self, weight: np.ndarray) -> np.ndarray:
        """d(penalty)/d(weight) = 2 * l2 * weight, of weight's shape and dtype."""
        return (2 * self.l2) * weight

    def get_config(self) -> dict:
        return {"l2": self.l2}

    def __eq__(self, other) -> bool:
        return isinstance(other, L2) and other.l2 == self.l2

    def __repr__(self) -> str:
        return f"L2(l2={self.l2})"
