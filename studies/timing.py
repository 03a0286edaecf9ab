"""Timing discipline for every speed figure in a report: windows of at least ``MIN_WINDOW_S`` seconds,
the median of at least ``MIN_REPEATS`` windows, the candidates interleaved window by window (so a load
spike hits all of them), and the thread counts and machine load recorded beside the figure.
"""

from __future__ import annotations

import dataclasses
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Mapping

MIN_WINDOW_S = 2.0
MIN_REPEATS = 3


def machine_load() -> float:
    """The 1-minute load average (0.0 where the OS does not report one)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def thread_counts() -> str:
    """e.g. "convkit 2 threads, torch 2 threads" (torch only when it is imported)."""
    import convkit

    def threads(n: int) -> str:
        return f"{n} thread" + ("" if n == 1 else "s")

    parts = [f"convkit {threads(convkit.get_num_threads())}"]
    if "torch" in sys.modules:
        parts.append(f"torch {threads(sys.modules['torch'].get_num_threads())}")
    return ", ".join(parts)


def format_ms(seconds: float) -> str:
    """A time in milliseconds with 3 significant digits and no exponent: 0.0123, 939, 1,230."""
    ms = seconds * 1e3
    if ms >= 100:
        return f"{ms:,.0f}"
    return f"{ms:.3g}" if ms >= 0.001 else f"{ms:.2e}"


@dataclasses.dataclass(frozen=True)
class Timing:
    seconds: float  # median time of one call
    low: float  # fastest window's time per call
    high: float  # slowest window's time per call
    calls: int  # calls per window at least (a window runs on until it lasts the minimum)
    windows: int
    window_s: float  # the shortest window, seconds
    threads: str
    load: float  # the highest 1-minute load average seen while timing

    def per_second(self, items: int) -> float:
        """Throughput for ``items`` processed per call."""
        return items / self.seconds

    def conditions(self) -> str:
        """The conditions a reader needs beside the figure."""
        return (
            f"median of {self.windows} windows of >= {self.calls} calls (>= {self.window_s:.1f} s each), "
            f"range {format_ms(self.low)}-{format_ms(self.high)} ms per call; {self.threads}; "
            f"load average {self.load:.2f}"
        )


def time_interleaved(
    candidates: Mapping[str, Callable[[], object]],
    min_window_s: float = MIN_WINDOW_S,
    repeats: int = MIN_REPEATS,
) -> dict[str, Timing]:
    """Time each zero-argument callable: one warm-up call, then ``repeats`` rounds in which each candidate
    runs one window of the calls the warm-up suggests, continued until it lasts ``min_window_s``; the figure
    is the median window's time per call."""
    calls = {}
    for name, fn in candidates.items():
        start = time.perf_counter()
        fn()  # warm-up, and the estimate of one call's time
        once = max(time.perf_counter() - start, 1e-6)
        calls[name] = max(1, math.ceil(min_window_s / once))
    per_call: dict[str, list[float]] = {name: [] for name in candidates}
    shortest = {name: math.inf for name in candidates}
    load = machine_load()
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            count = 0
            while count < calls[name] or time.perf_counter() - start < min_window_s:
                fn()
                count += 1
            window = time.perf_counter() - start
            per_call[name].append(window / count)
            shortest[name] = min(shortest[name], window)
        load = max(load, machine_load())
    threads = thread_counts()
    return {
        name: Timing(
            statistics.median(times),
            min(times),
            max(times),
            calls[name],
            repeats,
            shortest[name],
            threads,
            load,
        )
        for name, times in per_call.items()
    }
