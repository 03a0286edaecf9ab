"""A one-line text progress bar for downloads, redrawn in place on stderr (no tqdm)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30
REDRAW_SECONDS = 0.1


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


class DownloadProgressBar:
    """``name [#########.....]  4.2/9.9 MB  42%``, or ``name  4.2 MB`` when the total size is unknown.

    ``update(n)`` adds ``n`` bytes and redraws at most every ``REDRAW_SECONDS``; ``close()`` draws the final
    state and ends the line.
    """

    def __init__(self, name: str, total: int | None, stream: TextIO | None = None) -> None:
        self.name = name
        self.total = total
        self.done = 0
        self.stream = sys.stderr if stream is None else stream
        self._last_draw = float("-inf")

    def update(self, n_bytes: int) -> None:
        self.done += n_bytes
        now = time.monotonic()
        if now - self._last_draw >= REDRAW_SECONDS:
            self._draw()
            self._last_draw = now

    def close(self) -> None:
        self._draw()
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self) -> None:
        if self.total:
            fraction = min(self.done / self.total, 1.0)
            filled = round(fraction * BAR_WIDTH)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            line = f"{self.name} [{bar}] {self.done / 1e6:.1f}/{_megabytes(self.total)} {fraction:4.0%}"
        else:
            line = f"{self.name} {_megabytes(self.done)}"
        self.stream.write("\r" + line)
        self.stream.flush()
