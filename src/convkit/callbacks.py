"""Training callbacks with Keras' semantics: hooks that ``Sequential.fit`` calls around epochs and batches.

A callback sees the model through ``set_model`` and uses only these members of it: ``stop_training``
(fit checks it after each batch and each epoch), ``optimizer`` (with a mutable ``lr``),
``get_weights()``, ``set_weights(weights)`` and ``save(path)``.

Epochs and batches are 0-based, as in Keras. ``logs`` is the dict of the current values, e.g.
``{"loss": 0.5, "accuracy": 0.8, "val_loss": 0.6, "val_accuracy": 0.7}`` at the end of an epoch; a
callback may add keys to it (the schedules record ``"lr"``) for the callbacks after it to see.
"""

from __future__ import annotations

import csv
import math
import numbers
import os
import warnings
from collections.abc import Callable, Iterable

import numpy as np

__all__ = [
    "Callback",
    "CallbackList",
    "CSVLogger",
    "EarlyStopping",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]


def _is_real(value) -> bool:
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real)


def _non_negative_int(value, name: str, where: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{where}: {name} must be a non-negative int. Received: {name}={value!r}")
    return int(value)


def _non_negative_float(value, name: str, where: str) -> float:
    if not _is_real(value) or not 0 <= value < math.inf:
        raise ValueError(f"{where}: {name} must be a non-negative float. Received: {name}={value!r}")
    return float(value)


class Callback:
    """Base class: every hook does nothing; a subclass overrides the ones it needs.

    ``self.model`` is the model being trained, set by ``set_model`` before ``on_train_begin``.
    """

    def __init__(self):
        self.model = None

    def set_model(self, model) -> None:
        self.model = model

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called once at the start of ``fit``."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """Called once at the end of ``fit``, also when training was stopped early."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the start of epoch ``epoch`` (0-based)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the end of an epoch; ``logs`` holds the epoch's training and validation metrics."""

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before the training step on batch ``batch`` (0-based within the epoch)."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after the training step on a batch; ``logs`` holds the batch's ``"loss"`` and metrics."""


class CallbackList:
    """Calls each hook on every callback, in order, with the same ``logs`` dict (``{}`` for None).

    Sharing the dict lets a callback's additions (the ``"lr"`` a schedule records) reach the later ones.
    """

    def __init__(self, callbacks: Iterable[Callback] | None = None, model=None):
        self.callbacks: list[Callback] = list(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(f"CallbackList: expected Callback instances. Received: {callback!r}")
        if model is not None:
            self.set_model(model)

    def append(self, callback: Callback) -> None:
        if not isinstance(callback, Callback):
            raise TypeError(f"CallbackList: expected a Callback instance. Received: {callback!r}")
        self.callbacks.append(callback)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def set_model(self, model) -> None:
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


class MonitorCallback(Callback):
    """Base of the callbacks that watch one value of the epoch logs (``monitor``) for improvements.

    ``mode`` is ``"min"`` (lower is better), ``"max"``, or ``"auto"``: ``"max"`` when ``"acc"`` is in the
    monitor's name (``"val_accuracy"``), else ``"min"``. A value improves on the best one when it is lower
    by more than ``min_delta`` (``"min"``) or higher by more than ``min_delta`` (``"max"``).
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", min_delta: float = 0.0):
        super().__init__()
        cls = type(self).__name__
        if not isinstance(monitor, str):
            raise TypeError(f"{cls}: monitor must be the name of a logs key. Received: monitor={monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{cls}: mode must be 'auto', 'min' or 'max'. Received: mode={mode!r}")
        self.monitor = monitor
        self.mode = ("max" if "acc" in monitor else "min") if mode == "auto" else mode
        self.min_delta = _non_negative_float(min_delta, "min_delta", cls)
        self.best = self._worst_value()

    def _worst_value(self) -> float:
        return -math.inf if self.mode == "max" else math.inf

    def is_improvement(self, value: float, reference: float) -> bool:
        if self.mode == "max":
            return value > reference + self.min_delta
        return value < reference - self.min_delta

    def get_monitor_value(self, logs: dict | None) -> float | None:
        """The monitored value, or None (with a warning naming the available keys) when logs lack it."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"{type(self).__name__}: monitor {self.monitor!r} is not in the logs, skipping. "
                f"Available keys: {', '.join(map(str, logs)) or 'none'}",
                RuntimeWarning,
                stacklevel=2,
            )
            return None
        return float(value)


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
        self.patience = _non_negative_int(patience, "patience", type(self).__name__)
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
        if not _is_real(lr):
            raise ValueError(
                f"LearningRateScheduler: schedule must return a float. Received: {lr!r} at epoch {epoch}"
            )
        self.model.optimizer.lr = float(lr)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["lr"] = self.model.optimizer.lr


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
        if not _is_real(factor) or not 0 <= factor < 1:
            raise ValueError(f"{cls}: factor must be a float in [0, 1). Received: factor={factor!r}")
        self.factor = float(factor)
        self.patience = _non_negative_int(patience, "patience", cls)
        self.cooldown = _non_negative_int(cooldown, "cooldown", cls)
        self.min_lr = _non_negative_float(min_lr, "min_lr", cls)
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


class TerminateOnNaN(Callback):
    """Stops training (``model.stop_training = True``) as soon as a batch's ``"loss"`` is NaN or infinite."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            warnings.warn(
                f"TerminateOnNaN: batch {batch} has loss {float(loss)}; stopping training.",
                RuntimeWarning,
                stacklevel=2,
            )
            self.model.stop_training = True


class CSVLogger(Callback):
    """Writes one row per epoch to a CSV file: ``epoch`` (0-based) and every logs key, sorted.

    The columns are fixed by the first epoch's logs (a key missing later is written ``NA``). The header
    is written once: not again when ``append`` continues a file that already has content. The file is
    opened at ``on_train_begin``, flushed after every row and closed at ``on_train_end``.
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"CSVLogger: filename must be a str or a path. Received: filename={filename!r}")
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be one character. Received: separator={separator!r}")
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self._file = None
        self._writer: csv.DictWriter | None = None
        self._write_header = True

    def on_train_begin(self, logs: dict | None = None) -> None:
        has_content = os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._write_header = not (self.append and has_content)
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self._writer is None:
            self.keys = sorted(logs)
            self._writer = csv.DictWriter(
                self._file, fieldnames=["epoch", *self.keys], delimiter=self.separator
            )
            if self._write_header:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **{key: logs.get(key, "NA") for key in self.keys}})
        self._file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._file is not None:
            self._file.close()
        self._file = None
        self._writer = None
