"""LearningRateScheduler: set the learning rate at each epoch's start from a schedule."""

from __future__ import annotations

from collections.abc import Callable

from .._validation import is_real
from .callback import Callback


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate at each epoch's start to ``schedule(epoch, lr)``.

    ``schedule`` takes the 0-based epoch and the current learning rate and returns the new one, e.g.
    ``lambda epoch, lr: lr * 0.5 if epoch and epoch % 10 == 0 else lr``. At the epoch's end the rate used
    is recorded in the logs as ``"lr"``.
    """

    def __init__(self, schedule: Callable[[int, float], float]):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler: schedule must be callable as schedule(epoch, lr). "
                f"Received: schedule={schedule!r}"
            )
        self.schedule = schedule

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        lr = self.schedule(epoch, self.model.optimizer.lr)
        if not is_real(lr):
            raise ValueError(
                f"LearningRateScheduler: schedule must return a float. Received: {lr!r} at epoch {epoch}"
            )
        self.model.optimizer.lr = float(lr)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["lr"] = self.model.optimizer.lr
