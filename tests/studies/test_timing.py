"""The studies' timing discipline: windows of a minimum length, medians, conditions recorded."""

from __future__ import annotations

import time

from studies.timing import time_interleaved


def test_windows_last_the_minimum_and_the_median_is_per_call():
    timings = time_interleaved({"a": lambda: time.sleep(0.002), "b": lambda: None}, min_window_s=0.02)
    a, b = timings["a"], timings["b"]
    assert a.windows == 3 and a.window_s >= 0.02 and a.calls >= 1  # every window lasts the minimum
    assert 0.002 <= a.low <= a.seconds <= a.high and b.seconds < a.seconds
    assert "median of 3 windows" in a.conditions() and "convkit" in a.conditions()
    assert "load average" in a.conditions() and a.per_second(10) == 10 / a.seconds


def test_conditions_format_milliseconds_and_thread_counts(restore_threads):
    import convkit
    from studies.timing import format_ms, thread_counts

    assert [format_ms(s) for s in (0.939, 1.2345, 0.0000123)] == ["939", "1,234", "0.0123"]
    convkit.set_num_threads(1)
    assert thread_counts().split(", ")[0] == "convkit 1 thread"
