"""``convkit.show_config()``: what this build of convkit runs with."""

from __future__ import annotations

import platform
import sys

import numpy as np

from . import _kernels
from ._threads import get_num_threads, wait_policy
from ._version import __version__


def show_config() -> None:
    """Print the convkit version, whether the kernels were built with OpenMP, the thread count and how idle
    threads wait (the OpenMP wait policy and who chose it)."""
    lines = [
        f"convkit:  {__version__}",
        f"OpenMP:   {'on' if _kernels.openmp_enabled() else 'off'}",
        f"threads:  {get_num_threads()}",
        f"waiting:  {wait_policy()}",
        f"numpy:    {np.__version__}",
        f"python:   {sys.version.split()[0]} ({platform.machine()})",
    ]
    print("\n".join(lines))
