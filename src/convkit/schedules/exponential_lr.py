"""ExponentialLR: multiply the learning rate by ``gamma`` every step."""

from __future__ import annotations

from .._validation import positive_float
from .schedule import Schedule


class ExponentialLR(Schedule):
    """torch's ``ExponentialLR``: lr(step) = base_lr * gamma ** step."""

    def __init__(self, gamma: float, interval: str = "epoch"):
        super().__init__(interval)
        self.gamma = positive_float(gamma, "gamma", "ExponentialLR")

    def lr_at(self, step: int) -> float:
        return self.base_lr * self.gamma**step

    def get_config(self) -> dict:
        return {"gamma": self.gamma, **super().get_config()}
