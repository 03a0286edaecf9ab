"""Keras-style per-epoch progress bar: ``12/23 [=====>.....] - ETA: 1s - loss: 0.31 - 9,870 img/s``."""

from __future__ import annotations

import sys
import time
from typing import TextIO


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
