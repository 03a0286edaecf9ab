"""Schedule: the callback base of the torch-style schedules; a subclass writes only ``lr_at(step)``."""

from __future__ import annotations

from abc import abstractmethod

from .._validation import one_of
from ..callbacks import Callback

INTERVALS = ("epoch", "batch")


class Schedule(Callback):
    """Sets ``model.optimizer.lr = lr_at(step)`` before every epoch or every batch.

    ``step`` is what torch's ``scheduler.last_epoch`` would be: with ``interval="epoch"`` the 0-based
    epoch index (so ``initial_epoch`` continues the schedule), with ``interval="batch"`` the number of
    batches trained since the start of this ``fit``. ``base_lr`` is the optimizer's ``lr`` when the
    schedule first starts (torch's ``initial_lr``), kept for later ``fit`` calls. At each epoch's end the
    rate in use is written to the logs as ``"lr"``.
    """

    def __init__(self, interval: str = "epoch"):
        super().__init__()
        self.interval = one_of(interval, INTERVALS, "interval", type(self).__name__)
        self.base_lr: float | None = None
        self.step = 0

    @abstractmethod
    def lr_at(self, step: int) -> float:
        """The learning rate after ``step`` calls of torch's ``scheduler.step()``, from ``self.base_lr``."""

    def _set(self, step: int) -> None:
        self.step = step
        self.model.optimizer.lr = self.lr_at(step)

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.base_lr is None:
            self.base_lr = self.model.optimizer.lr
        self.step = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.interval == "epoch":
            self._set(epoch)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if self.interval == "batch":
            self._set(self.step)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.interval == "batch":
            self.step += 1

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["lr"] = self.model.optimizer.lr

    def get_config(self) -> dict:
        """The arguments, so that ``type(schedule)(**schedule.get_config())`` rebuilds it."""
        return {"interval": self.interval}
