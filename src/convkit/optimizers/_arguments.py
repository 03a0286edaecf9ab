"""Checks of optimizer constructor arguments, raising Keras-style messages: ``"Adam: betas must be two
floats in [0, 1). Received: betas=(0.9, 1.5)"``. ``where`` is the optimizer's class name."""

from __future__ import annotations

import math
import numbers

import numpy as np


def _is_real(value) -> bool:
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real)


def non_negative_float(value, name: str, where: str) -> float:
    if not _is_real(value) or not 0 <= value < math.inf:
        raise ValueError(f"{where}: {name} must be a non-negative float. Received: {name}={value!r}")
    return float(value)


def unit_interval_float(value, name: str, where: str) -> float:
    if not _is_real(value) or not 0 <= value <= 1:
        raise ValueError(f"{where}: {name} must be a float in [0, 1]. Received: {name}={value!r}")
    return float(value)


def betas_pair(value, where: str) -> tuple[float, float]:
    """Two decay rates ``(beta1, beta2)``, each in [0, 1), as torch's ``betas``."""
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(_is_real(beta) and 0 <= beta < 1 for beta in value)
    ):
        raise ValueError(f"{where}: betas must be two floats in [0, 1). Received: betas={value!r}")
    return float(value[0]), float(value[1])


def flag(value, name: str, where: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be a bool. Received: {name}={value!r}")
    return bool(value)
