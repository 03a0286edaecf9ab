"""ReduceLROnPlateau: lower the learning rate when a monitored value stops improving."""

from __future__ import annotations

from .._validation import non_negative_float, non_negative_int, real
from .monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by ``factor`` when the monitored value stops improving.

    At each epoch's end, after ``patience`` epochs without an improvement larger than ``min_delta``, the
    learning rate becomes ``max(lr * factor, min_lr)`` (when it is above ``min_lr``); then ``cooldown``
    epochs pass before the count of epochs without improvement starts again. The rate used during the
    epoch is recorded in the logs as ``"lr"``.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        mode: str = "auto",
    ):
        super().__init__(monitor, mode, min_delta)
        cls = type(self).__name__
        self.factor = real(factor, "factor", cls, low=0.0, high=1.0)
        self.patience = non_negative_int(patience, "patience", cls)
        self.cooldown = non_negative_int(cooldown, "cooldown", cls)
        self.min_lr = non_negative_float(min_lr, "min_lr", cls)
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.best = self._worst_value()
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = self.model.optimizer
        if logs is not None:
            logs["lr"] = optimizer.lr
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and optimizer.lr > self.min_lr:
                optimizer.lr = max(optimizer.lr * self.factor, self.min_lr)
                self.cooldown_counter = self.cooldown
                self.wait = 0
