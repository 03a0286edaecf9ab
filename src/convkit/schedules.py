"""Learning-rate schedules, as ``LearningRateScheduler`` callbacks for ``Sequential.fit``."""

from __future__ import annotations

import math

from .callbacks import LearningRateScheduler


def cosine_schedule(base_lr: float, epochs: int) -> LearningRateScheduler:
    """lr(epoch) = base_lr * (1 + cos(pi * epoch / epochs)) / 2: from base_lr down towards 0."""
    return LearningRateScheduler(lambda epoch, lr: base_lr * 0.5 * (1 + math.cos(math.pi * epoch / epochs)))
