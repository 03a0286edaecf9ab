"""Argument checks of the callbacks' constructors."""

from __future__ import annotations

import math
import numbers

import numpy as np


def is_real(value) -> bool:
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real)


def non_negative_int(value, name: str, where: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{where}: {name} must be a non-negative int. Received: {name}={value!r}")
    return int(value)


def non_negative_float(value, name: str, where: str) -> float:
    if not is_real(value) or not 0 <= value < math.inf:
        raise ValueError(f"{where}: {name} must be a non-negative float. Received: {name}={value!r}")
    return float(value)
