"""How many OpenMP threads the kernels use: one setting shared by every call, and how idle threads wait.

OpenMP's threads spin for a few milliseconds after each parallel region by default (libgomp: about 3 ms).
On a machine with one other busy process that collapses a 2-thread training step (a thread preempted inside
a region holds the other at the barrier, spinning), so convkit asks for ``OMP_WAIT_POLICY=passive`` (idle
threads sleep at once) unless the user chose a policy: the OpenMP runtime reads its environment once, when
it loads, which is why this module sets it before importing the kernels and is imported first by convkit.
"""

from __future__ import annotations

import ctypes
import operator
import os

WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
DEFAULT_WAIT_POLICY = "passive"


def _openmp_loaded() -> bool:
    """Whether an OpenMP runtime (libgomp) is already in the process, e.g. loaded by torch."""
    try:
        ctypes.CDLL("libgomp.so.1", mode=os.RTLD_NOLOAD)
    except (OSError, AttributeError):  # not loaded, or no RTLD_NOLOAD on this platform
        return False
    return True


def _default_wait_policy() -> str:
    """Set ``OMP_WAIT_POLICY=passive`` when neither it nor ``GOMP_SPINCOUNT`` is set; say who chose."""
    if any(name in os.environ for name in WAIT_VARIABLES):
        return "user"
    if _openmp_loaded():
        return "loaded before convkit"
    os.environ["OMP_WAIT_POLICY"] = DEFAULT_WAIT_POLICY
    return "convkit"


wait_policy_source = _default_wait_policy()

from . import _kernels  # noqa: E402 -- after the wait policy: libgomp reads it when it loads

_num_threads: int | None = None


def wait_policy() -> str:
    """The OpenMP wait settings in force and who chose them, e.g. ``"OMP_WAIT_POLICY=passive (convkit)"``."""
    chosen = [f"{name}={os.environ[name]}" for name in WAIT_VARIABLES if name in os.environ]
    return f"{', '.join(chosen) or 'OpenMP default'} ({wait_policy_source})"


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
    (which honours ``OMP_NUM_THREADS``); always 1 in a build without OpenMP, whose kernels run serially."""
    if not _kernels.openmp_enabled():
        return 1
    if _num_threads is None:
        return int(_kernels.openmp_max_threads())
    return _num_threads
