"""ModelCheckpoint: save the model after every epoch, or only when it improves."""

from __future__ import annotations

import os

from .monitor_callback import MonitorCallback


class ModelCheckpoint(MonitorCallback):
    """Saves the model with ``model.save`` at the end of every epoch, or only on improvement.

    ``filepath`` may hold ``str.format`` fields: ``{epoch}`` (1-based, as in Keras) and any logs key,
    e.g. ``"ckpt/model-{epoch:02d}-{val_loss:.4f}.npz"``; missing folders are created.
    With ``save_best_only`` the model is saved only when the monitored value improves on the best so far
    (any decrease for ``"min"``, any increase for ``"max"``); the best value is kept from one ``fit`` to
    the next, as in Keras, so that continuing training does not overwrite a better checkpoint.
    """

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
    ):
        super().__init__(monitor, mode)
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(
                f"ModelCheckpoint: filepath must be a str or a path. Received: filepath={filepath!r}"
            )
        self.filepath = os.fspath(filepath)
        self.save_best_only = bool(save_best_only)

    def format_filepath(self, epoch: int, logs: dict | None) -> str:
        """``filepath`` with ``{epoch}`` as ``epoch + 1`` and the logs' values filled in."""
        try:
            return self.filepath.format(**{**(logs or {}), "epoch": epoch + 1})
        except KeyError as error:
            raise KeyError(
                f"ModelCheckpoint: cannot format filepath {self.filepath!r}: no logs key {error}. "
                f"Available keys: epoch, {', '.join(map(str, logs or {}))}"
            ) from None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_best_only:
            current = self.get_monitor_value(logs)
            if current is None or not self.is_improvement(current, self.best):
                return
            self.best = current
        path = self.format_filepath(epoch, logs)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self.model.save(path)
