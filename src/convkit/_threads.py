"""How many OpenMP threads the kernels use: one setting shared by every call; and how idle threads wait.

convkit leaves the wait policy to the OpenMP runtime and the user (``OMP_WAIT_POLICY``, ``GOMP_SPINCOUNT``,
read once when the runtime loads). On 2 cores with one other busy process, libgomp's default spinning
costs a 2-thread step most of its speed, ``OMP_WAIT_POLICY=passive`` keeps it, but halves LeNet's speed on
an idle machine; ``benchmarks/bench_load.py`` measures both, and the README says which to choose when.
"""

from __future__ import annotations

import operator
import os

from . import _kernels

WAIT_VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")

_num_threads: int | None = None


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
    (which honours ``OMP_NUM_THREADS``); always 1 in a build without OpenMP, whose kernels run serially."""
    if not _kernels.openmp_enabled():
        return 1
    if _num_threads is None:
        return int(_kernels.openmp_max_threads())
    return _num_threads
