"""Argument checks for the model factories, layers and trainer.

Messages name the function, the argument, what was expected and what was received, in the Keras style:
``"resnet50: num_classes must be a positive int. Received: num_classes=0"``. A value of the wrong type
raises ``TypeError``, a value of the right type out of range raises ``ValueError``.
"""

from __future__ import annotations

import numbers


def positive_int(value, name: str, where: str) -> int:
    """``value`` as an int >= 1."""
    return int_at_least(value, 1, name, where, wanted="a positive int")


def int_at_least(value, minimum: int, name: str, where: str, wanted: str | None = None) -> int:
    """``value`` as an int >= ``minimum``."""
    wanted = wanted or f"an int >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{where}: {name} must be {wanted}. Received: {name}={value!r} of type {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(f"{where}: {name} must be {wanted}. Received: {name}={value!r}")
    return int(value)


def positive_ints(values, name: str, where: str) -> tuple[int, ...]:
    """A non-empty sequence of positive ints, as a tuple."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(
            f"{where}: {name} must be a non-empty sequence of positive ints. Received: {name}={values!r}"
        )
    values = tuple(values)
    if not values or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in values):
        raise ValueError(
            f"{where}: {name} must be a non-empty sequence of positive ints. Received: {name}={values!r}"
        )
    return tuple(int(v) for v in values)


def real(
    value, name: str, where: str, *, low: float, high: float | None, high_inclusive: bool = False
) -> float:
    """``value`` as a float in ``[low, high)`` (``[low, high]`` with ``high_inclusive``; no upper bound
    when ``high`` is None)."""
    if high is None:
        wanted = f"a float >= {low}"
    else:
        wanted = f"a float in [{low}, {high}{']' if high_inclusive else ')'}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{where}: {name} must be {wanted}. Received: {name}={value!r} of type {type(value).__name__}"
        )
    value = float(value)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if not value >= low or too_high:
        raise ValueError(f"{where}: {name} must be {wanted}. Received: {name}={value!r}")
    return value


def positive_real(value, name: str, where: str) -> float:
    """``value`` as a float > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{where}: {name} must be a positive float. "
            f"Received: {name}={value!r} of type {type(value).__name__}"
        )
    if not float(value) > 0:
        raise ValueError(f"{where}: {name} must be a positive float. Received: {name}={value!r}")
    return float(value)


def dropout_rate(value, name: str, where: str) -> float:
    """A dropout probability in [0, 1)."""
    return real(value, name, where, low=0.0, high=1.0)


def one_of(value, choices, name: str, where: str):
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{where}: {name} must be one of {listed}. Received: {name}={value!r}")
    return value
