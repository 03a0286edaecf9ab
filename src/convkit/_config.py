"""``convkit.show_config()``: what this build of convkit runs with."""

from __future__ import annotations

import platform
import sys
import warnings

import numpy as np

from . import _kernels
from ._threads import get_num_threads, load_policy, wait_policy
from ._version import __version__

SERIAL_BUILD_WARNING = (
    "convkit was built without OpenMP: every kernel runs on one thread and set_num_threads has no effect. "
    "Reinstall from a wheel, or build with a compiler that supports OpenMP (macOS: brew install libomp)."
)
_warned_serial_build = False


def _warn_serial_build() -> None:
    """Warn, once per process, that this build's kernels are single-threaded."""
    global _warned_serial_build
    if _warned_serial_build:
        return
    _warned_serial_build = True
    warnings.warn(SERIAL_BUILD_WARNING, RuntimeWarning, stacklevel=3)


def show_config() -> None:
    """Print the convkit version, whether the kernels were built with OpenMP, the thread count, how idle
    threads wait (the OpenMP wait policy and who chose it) and the SIMD level of the kernels.

    In a build without OpenMP this also warns (a ``RuntimeWarning``, once per process) that the kernels
    run on one thread."""
    openmp = _kernels.openmp_enabled()
    lines = [
        f"convkit:  {__version__}",
        f"OpenMP:   {'on' if openmp else 'off'}",
        f"threads:  {get_num_threads()}",
        f"waiting:  {wait_policy()}",
        f"load:     {load_policy()}",
        f"SIMD:     {_kernels.simd_level()}",
        f"numpy:    {np.__version__}",
        f"python:   {sys.version.split()[0]} ({platform.machine()})",
    ]
    print("\n".join(lines))
    if not openmp:
        _warn_serial_build()
