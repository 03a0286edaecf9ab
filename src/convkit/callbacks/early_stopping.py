"""EarlyStopping: stop training when a monitored value stops improving."""

from __future__ import annotations

import numpy as np

from .._validation import non_negative_int
from .monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stops training when the monitored value has not improved for ``patience`` epochs.

    At each epoch's end: an improvement (see ``MonitorCallback``) records the new best and resets the
    count of epochs without one; otherwise, once that count reaches ``patience`` (and not on the first
    epoch), sets ``model.stop_training``. With ``restore_best_weights`` the model then gets back the
    weights of its best epoch (or of the first epoch when none improved), as in Keras: only when it stops
    training, not when training runs to its last epoch.

    Attributes after training: ``best``, ``best_epoch``, ``stopped_epoch`` (0 when it never stopped).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        mode: str = "auto",
        restore_best_weights: bool = False,
    ):
        super().__init__(monitor, mode, min_delta)
        self.patience = non_negative_int(patience, "patience", type(self).__name__)
        self.restore_best_weights = bool(restore_best_weights)
        self.wait = 0
        self.best_epoch = 0
        self.stopped_epoch = 0
        self.best_weights: list[np.ndarray] | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait = 0
        self.best = self._worst_value()
        self.best_epoch = 0
        self.stopped_epoch = 0
        self.best_weights = None

    def _copy_weights(self) -> list[np.ndarray]:
        # copies: the optimizer updates the model's arrays in place
        return [np.array(weight, copy=True) for weight in self.model.get_weights()]

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = self.get_monitor_value(logs)
        if current is None:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self._copy_weights()
        self.wait += 1
        if self.is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._copy_weights()
            self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights:
                self.model.set_weights(self.best_weights)
