"""How many OpenMP threads the kernels use: one setting shared by every call; how idle threads wait; and
how many of them a training step uses while other processes hold the cores.

convkit leaves the wait policy to the OpenMP runtime and the user (``OMP_WAIT_POLICY``, ``GOMP_SPINCOUNT``,
read once when the runtime loads). On 2 cores with one other busy process, libgomp's default spinning
costs a 2-thread step most of its speed (at every barrier a thread waits out a preempted one's time
slice), and ``OMP_WAIT_POLICY=passive`` keeps it but halves LeNet's speed on an idle machine. So a
training step adapts instead (``training_step_threads``): the tasks runnable machine-wide (Linux's
``/proc/loadavg``) minus this process's own running threads (``/proc/self/task``) are the other
processes' demand; when they leave fewer free cores than the threads asked for, the step runs on the free
cores (at least one). A reading serves the steps of the next ``READING_LIFETIME`` seconds. Every kernel
gives bit-identical results for any thread count, so only the speed changes. ``set_adapt_to_load(False)``
turns this off; ``benchmarks/bench_load.py`` measures it.
"""

from __future__ import annotations

import operator
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from . import _kernels

WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")

_num_threads: int | None = None
_adapt_to_load = True
_step_limit: int | None = None  # the thread limit of the training step under way, if any
# Seconds a reading of the load serves the steps after it. A reading costs ~30 us on an idle process but
# ~180 us inside training, where /proc/self/task/*/stat of the OpenMP threads spinning on the other core
# is slow: every 10 ms that was 1.7% of LeNet's training time.
READING_LIFETIME = 0.1
_reading: tuple[float, int | None] | None = None  # (when, free cores or None) of the last reading
LOADAVG = "/proc/loadavg"


def wait_policy() -> str:
    """The OpenMP wait settings in the environment, e.g. ``"OMP_WAIT_POLICY=passive"``, or
    ``"OpenMP default"``."""
    chosen = [f"{name}={os.environ[name]}" for name in WAIT_VARIABLES if name in os.environ]
    return ", ".join(chosen) or "OpenMP default"


def set_num_threads(n: int) -> None:
    """Use ``n`` OpenMP threads in every kernel from now on (``n >= 1``)."""
    global _num_threads
    try:
        if isinstance(n, bool):  # an int subclass, but never meant as a thread count
            raise TypeError
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"set_num_threads: n must be an int. Received: n={n!r}") from None
    if n < 1:
        raise ValueError(f"set_num_threads: n must be >= 1. Received: n={n}")
    _num_threads = n


def get_num_threads() -> int:
    """The thread count the kernels use: the last ``set_num_threads`` value, else OpenMP's default
    (which honours ``OMP_NUM_THREADS``); always 1 in a build without OpenMP, whose kernels run serially.
    Inside a training step on a busy machine, at most the free cores (see ``set_adapt_to_load``)."""
    if not _kernels.openmp_enabled():
        return 1
    n = int(_kernels.openmp_max_threads()) if _num_threads is None else _num_threads
    return n if _step_limit is None else min(n, _step_limit)


def set_adapt_to_load(enabled: bool) -> None:
    """Whether a training step runs on fewer threads while other processes hold the cores (default True):
    on a 2-core machine with one other busy process, 2 threads waiting for each other at every barrier
    train slower than 1. Results are the same either way; only the speed changes."""
    global _adapt_to_load
    if not isinstance(enabled, bool):
        raise TypeError(f"set_adapt_to_load: enabled must be a bool. Received: enabled={enabled!r}")
    _adapt_to_load = enabled


def load_policy() -> str:
    """What a training step does while other processes hold the cores, in words."""
    if _adapt_to_load:
        return "a training step runs on the free cores while other processes hold the others"
    return "the thread count stays as set (set_adapt_to_load(False))"


def _runnable_tasks() -> int | None:
    """Tasks running or waiting for a core right now, machine-wide (None where /proc/loadavg is missing)."""
    try:
        with open(LOADAVG) as f:
            return int(f.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _own_running_threads() -> int:
    """This process's threads running or waiting for a core (the caller, at least)."""
    running = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return 1
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                running += f.read().rsplit(")", 1)[1].split()[0] == "R"  # the state follows the name
        except (OSError, IndexError):
            continue  # a thread that ended meanwhile
    return max(running, 1)


def _free_cores() -> int | None:
    """The cores the other processes leave free right now (at least one), None where nothing else runs."""
    running = _runnable_tasks()
    if running is None or running < 2:
        return None
    return max(1, _cores() - max(0, running - _own_running_threads()))


@contextmanager
def training_step_threads() -> Iterator[None]:
    """The thread count of one training step: ``get_num_threads()`` limited to the free cores inside."""
    global _step_limit, _reading
    if _adapt_to_load:
        now = time.monotonic()
        if _reading is None or now - _reading[0] >= READING_LIFETIME:
            _reading = (now, _free_cores())
        # the limit from the free cores, not kept with the reading: the thread count may have changed since
        free = _reading[1]
        _step_limit = free if free is not None and free < get_num_threads() else None
    try:
        yield
    finally:
        _step_limit = None
