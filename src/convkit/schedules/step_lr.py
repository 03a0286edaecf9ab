"""StepLR: multiply the learning rate by ``gamma`` every ``step_size`` steps."""

from __future__ import annotations

from .._validation import positive_float, positive_int
from .schedule import Schedule


class StepLR(Schedule):
    """torch's ``StepLR``: lr(step) = base_lr * gamma ** (step // step_size)."""

    def __init__(self, step_size: int, gamma: float = 0.1, interval: str = "epoch"):
        super().__init__(interval)
        self.step_size = positive_int(step_size, "step_size", "StepLR")
        self.gamma = positive_float(gamma, "gamma", "StepLR")

    def lr_at(self, step: int) -> float:
        return self.base_lr * self.gamma ** (step // self.step_size)

    def get_config(self) -> dict:
        return {"step_size": self.step_size, "gamma": self.gamma, **super().get_config()}
