"""LinearLR: scale the learning rate linearly from ``start_factor`` to ``end_factor`` (a warm-up)."""

from __future__ import annotations

from .._validation import positive_int, real
from .schedule import Schedule


class LinearLR(Schedule):
    """torch's ``LinearLR`` (its closed form):
    lr(step) = base_lr * (start_factor + (end_factor - start_factor) * min(step, total_iters) / total_iters).
    """

    def __init__(
        self,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        interval: str = "epoch",
    ):
        super().__init__(interval)
        self.start_factor = real(
            start_factor,
            "start_factor",
            "LinearLR",
            low=0.0,
            high=1.0,
            low_inclusive=False,
            high_inclusive=True,
        )
        self.end_factor = real(end_factor, "end_factor", "LinearLR", low=0.0, high=1.0, high_inclusive=True)
        self.total_iters = positive_int(total_iters, "total_iters", "LinearLR")

    def lr_at(self, step: int) -> float:
        fraction = min(step, self.total_iters) / self.total_iters
        return self.base_lr * (self.start_factor + (self.end_factor - self.start_factor) * fraction)

    def get_config(self) -> dict:
        return {
            "start_factor": self.start_factor,
            "end_factor": self.end_factor,
            "total_iters": self.total_iters,
            **super().get_config(),
        }
