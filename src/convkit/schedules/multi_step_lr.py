"""MultiStepLR: multiply the learning rate by ``gamma`` at each milestone."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from .._validation import positive_float, positive_ints
from .schedule import Schedule


class MultiStepLR(Schedule):
    """torch's ``MultiStepLR``: lr(step) = base_lr * gamma ** (number of milestones <= step); a milestone
    given twice counts twice, as in torch."""

    def __init__(self, milestones: Sequence[int], gamma: float = 0.1, interval: str = "epoch"):
        super().__init__(interval)
        self.milestones = sorted(positive_ints(milestones, "milestones", "MultiStepLR"))
        self.gamma = positive_float(gamma, "gamma", "MultiStepLR")

    def lr_at(self, step: int) -> float:
        return self.base_lr * self.gamma ** bisect.bisect_right(self.milestones, step)

    def get_config(self) -> dict:
        return {"milestones": list(self.milestones), "gamma": self.gamma, **super().get_config()}
