"""ProgbarLogger: the callback that prints ``fit``'s progress (``verbose=1``), Keras style::

Epoch 1/5
12/23 [=====>.....] - ETA: 1s - loss: 0.31 - 9,870 img/s
"""

from __future__ import annotations

import math
import sys
import time
from typing import TextIO

from .._running_mean import RunningMean
from .callback import Callback


class ProgressBar:
    """Redraws one line in place on a terminal; elsewhere (logs, CI) prints only the finished line."""

    WIDTH = 30
    MIN_REDRAW_SECONDS = 0.1

    def __init__(self, total_steps: int, stream: TextIO | None = None):
        self.total_steps = total_steps
        self.stream = stream or sys.stdout
        self.interactive = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()
        self.last_draw = 0.0

    def update(self, step: int, samples: int, logs: dict[str, float], final: bool = False) -> None:
        """Show ``step`` of ``total_steps`` done, ``samples`` images seen so far this epoch."""
        now = time.perf_counter()
        if not final and (not self.interactive or now - self.last_draw < self.MIN_REDRAW_SECONDS):
            return
        self.last_draw = now
        elapsed = max(now - self.start, 1e-9)
        done = int(self.WIDTH * step / max(self.total_steps, 1))
        bar = "=" * done + (">" if done < self.WIDTH else "") + "." * max(self.WIDTH - done - 1, 0)
        width = len(str(self.total_steps))
        parts = [f"{step:>{width}}/{self.total_steps} [{bar}]"]
        if final:
            parts.append(f"{elapsed:.1f}s {1000 * elapsed / max(step, 1):.0f}ms/step")
        else:
            parts.append(f"ETA: {elapsed / max(step, 1) * (self.total_steps - step):.0f}s")
        parts += [f"{key}: {value:.4f}" for key, value in logs.items()]
        parts.append(f"{samples / elapsed:,.0f} img/s")
        line = " - ".join(parts)
        if self.interactive:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


class ProgbarLogger(Callback):
    """Prints ``Epoch i/n``, a ``ProgressBar`` of the epoch's running mean logs, then the validation logs.

    ``samples`` and ``batch_size`` are fit's: the batches hold ``batch_size`` samples, the last one the rest.
    """

    def __init__(self, epochs: int, samples: int, batch_size: int):
        super().__init__()
        self.epochs = epochs
        self.samples = samples
        self.batch_size = batch_size
        self.steps = math.ceil(samples / batch_size)
        self._bar: ProgressBar | None = None
        self._mean = RunningMean()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        print(f"Epoch {epoch + 1}/{self.epochs}")
        self._bar = ProgressBar(self.steps)
        self._mean = RunningMean()

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        size = min(self.batch_size, self.samples - batch * self.batch_size)
        means = self._mean.update(logs or {}, size)
        self._bar.update(batch + 1, self._mean.seen, means, final=batch + 1 == self.steps)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if "val_loss" in logs:
            print("  " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if k.startswith("val_")))
