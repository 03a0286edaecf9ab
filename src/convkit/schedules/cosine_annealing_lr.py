"""CosineAnnealingLR: a half cosine from the base learning rate down to ``eta_min`` over ``T_max`` steps."""

from __future__ import annotations

import math

from .._validation import non_negative_float, positive_int
from .schedule import Schedule


class CosineAnnealingLR(Schedule):
    """torch's ``CosineAnnealingLR`` (its closed form):
    lr(step) = eta_min + (base_lr - eta_min) * (1 + cos(pi * step / T_max)) / 2.

    Past ``T_max`` the cosine goes on, back up towards base_lr, as torch's does.
    """

    def __init__(self, T_max: int, eta_min: float = 0.0, interval: str = "epoch"):  # noqa: N803 (torch's name)
        super().__init__(interval)
        self.T_max = positive_int(T_max, "T_max", "CosineAnnealingLR")
        self.eta_min = non_negative_float(eta_min, "eta_min", "CosineAnnealingLR")

    def lr_at(self, step: int) -> float:
        cosine = (1 + math.cos(math.pi * step / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine

    def get_config(self) -> dict:
        return {"T_max": self.T_max, "eta_min": self.eta_min, **super().get_config()}
