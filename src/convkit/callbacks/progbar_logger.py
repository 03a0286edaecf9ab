"""ProgbarLogger: the callback that prints ``fit``'s progress, Keras style.

``verbose=1``: a bar per epoch, redrawn in place on a terminal; where stdout is not a terminal (a
notebook, a log file) a new line at most every ``LOG_SECONDS`` and the finished line::

    Epoch 1/5
    12/23 [=====>.....] - ETA: 1s - loss: 0.31 - 9,870 img/s

``verbose=2``: one line per epoch, when it ends (with the validation logs)::

    Epoch 1/5 - 23/23 - 1.2s - 52ms/step - loss: 0.31 - val_loss: 0.28 - 9,870 img/s
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .._running_mean import RunningMean
from .._validation import one_of
from .callback import Callback


def _format_logs(logs: dict[str, float]) -> list[str]:
    """``"loss: 0.3100"``; a value below 1e-3 in magnitude as ``"lr: 1.0000e-04"``, as Keras prints them."""
    return [
        f"{key}: {value:.4f}" if abs(value) > 1e-3 else f"{key}: {value:.4e}" for key, value in logs.items()
    ]


class ProgressBar:
    """One epoch's progress: redrawn in place on a terminal (at most every ``MIN_REDRAW_SECONDS``),
    elsewhere a new line at most every ``LOG_SECONDS``; the finished line always.

    ``total_steps`` is None when the number of batches is unknown (a generator): then no bar or ETA.
    """

    WIDTH = 30
    MIN_REDRAW_SECONDS = 0.1
    LOG_SECONDS = 10.0

    def __init__(self, total_steps: int | None, stream: TextIO | None = None):
        self.total_steps = total_steps
        self.stream = stream or sys.stdout
        self.interactive = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()
        self.last_draw = self.start if not self.interactive else 0.0

    def update(self, step: int, samples: int, logs: dict[str, float], final: bool = False) -> None:
        """Show ``step`` of ``total_steps`` done, ``samples`` images seen so far this epoch."""
        now = time.perf_counter()
        interval = self.MIN_REDRAW_SECONDS if self.interactive else self.LOG_SECONDS
        if not final and now - self.last_draw < interval:
            return
        self.last_draw = now
        elapsed = max(now - self.start, 1e-9)
        parts = [self.counter(step)]
        if final:
            parts.append(f"{elapsed:.1f}s {1000 * elapsed / max(step, 1):.0f}ms/step")
        elif self.total_steps is not None:
            parts.append(f"ETA: {elapsed / max(step, 1) * (self.total_steps - step):.0f}s")
        parts += _format_logs(logs)
        parts.append(f"{samples / elapsed:,.0f} img/s")
        line = " - ".join(parts)
        if self.interactive:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def counter(self, step: int) -> str:
        """``"12/23 [=====>....]"``, or ``"12/Unknown"`` without a known total."""
        if self.total_steps is None:
            return f"{step}/Unknown"
        done = int(self.WIDTH * step / max(self.total_steps, 1))
        bar = "=" * done + (">" if done < self.WIDTH else "") + "." * max(self.WIDTH - done - 1, 0)
        return f"{step:>{len(str(self.total_steps))}}/{self.total_steps} [{bar}]"


class ProgbarLogger(Callback):
    """Prints each epoch's progress (the running mean of its batch logs) and its validation logs.

    ``steps`` is the number of batches per epoch (None when unknown); each batch's size comes from the
    ``"size"`` that ``fit`` puts in ``on_batch_begin``'s logs. ``verbose`` is 1 (a bar) or 2 (one line
    per epoch); ``stream`` defaults to ``sys.stdout``.
    """

    def __init__(self, epochs: int, steps: int | None, verbose: int = 1, stream: TextIO | None = None):
        super().__init__()
        self.epochs = epochs
        self.steps = steps
        self.verbose = one_of(verbose, (1, 2), "verbose", "ProgbarLogger")
        self.stream = stream
        self._bar: ProgressBar | None = None
        self._mean = RunningMean()
        self._size = 0
        self._step = 0

    def _print(self, line: str) -> None:
        stream = self.stream or sys.stdout
        stream.write(line + "\n")
        stream.flush()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.verbose == 1:
            self._print(f"Epoch {epoch + 1}/{self.epochs}")
        self._bar = ProgressBar(self.steps, self.stream)
        self._mean = RunningMean()
        self._step = 0

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._size = (logs or {})["size"]

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        means = self._mean.update(logs or {}, self._size)
        self._step = batch + 1
        if self.verbose == 1:
            self._bar.update(self._step, self._mean.seen, means, final=self._step == self.steps)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        val = {key: value for key, value in logs.items() if key.startswith("val_")}
        train = {key: value for key, value in logs.items() if key not in val}
        if self.verbose == 1:
            if self.steps is None and self._step:  # the end was not known in advance: finish the bar now
                self._bar.update(self._step, self._mean.seen, train, final=True)
            if val:
                self._print("  " + " - ".join(_format_logs(val)))
            return
        elapsed = max(time.perf_counter() - self._bar.start, 1e-9)
        steps = self._step if self.steps is None else self.steps
        parts = [f"Epoch {epoch + 1}/{self.epochs}", f"{self._step}/{steps}", f"{elapsed:.1f}s"]
        parts.append(f"{1000 * elapsed / max(self._step, 1):.0f}ms/step")
        parts += _format_logs(train) + _format_logs(val)
        parts.append(f"{self._mean.seen / elapsed:,.0f} img/s")
        self._print(" - ".join(parts))
