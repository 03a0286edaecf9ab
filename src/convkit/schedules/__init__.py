"""Learning-rate schedules with torch.optim.lr_scheduler's names, arguments and values, as callbacks.

Each schedule is a ``Callback`` for ``Sequential.fit(callbacks=[...])`` that sets the model's optimizer
``lr`` before each epoch (``interval="epoch"``, the default) or each batch (``interval="batch"``) to
torch's value after that many ``scheduler.step()`` calls, and records the epoch's last rate as ``"lr"``
in the logs (so in ``history.history["lr"]``). ``cosine_schedule`` is the demo's Keras-style schedule.
"""

import math

from ..callbacks import LearningRateScheduler
from .cosine_annealing_lr import CosineAnnealingLR
from .exponential_lr import ExponentialLR
from .linear_lr import LinearLR
from .multi_step_lr import MultiStepLR
from .one_cycle_lr import OneCycleLR
from .schedule import Schedule
from .step_lr import StepLR


def cosine_schedule(base_lr: float, epochs: int) -> LearningRateScheduler:
    """lr(epoch) = base_lr * (1 + cos(pi * epoch / epochs)) / 2: from base_lr down towards 0."""
    return LearningRateScheduler(lambda epoch, lr: base_lr * 0.5 * (1 + math.cos(math.pi * epoch / epochs)))


__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "Schedule",
    "StepLR",
    "cosine_schedule",
]
