"""MonitorCallback: the base of the callbacks that watch one value of the epoch logs."""

from __future__ import annotations

import math
import warnings

from .._validation import non_negative_float
from .callback import Callback


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
        self.min_delta = non_negative_float(min_delta, "min_delta", cls)
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
