"""CallbackList: what ``Sequential.fit`` calls; it forwards each hook to every callback, in order."""

from __future__ import annotations

from collections.abc import Iterable

from .callback import Callback


class CallbackList:
    """Calls each hook on every callback, in order, with the same ``logs`` dict (``{}`` for None).

    Sharing the dict lets a callback's additions (the ``"lr"`` a schedule records) reach the later ones.
    """

    def __init__(self, callbacks: Iterable[Callback], model):
        self.callbacks: list[Callback] = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"CallbackList: expected Callback instances. Received: {callback!r}")
        for callback in self.callbacks:
            callback.set_model(model)

    def on_train_begin(self, logs: dict | None = None) -> None:
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs)
