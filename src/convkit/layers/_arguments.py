"""Checks of layer constructor arguments, raising Keras-style messages: ``"Conv2D: filters must be a
positive int. Received: filters=0"``. ``where`` is the layer's class name."""

from __future__ import annotations

import math
import numbers
import operator


def positive_int(value, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive int. Received: {name}={value!r}")
    return operator.index(value)


def optional_seed(value, name: str, where: str) -> int | None:
    """None or a non-negative int, as ``np.random.default_rng`` takes."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{where}: {name} must be None or a non-negative int. Received: {name}={value!r}")
    return operator.index(value)


def non_negative_float(value, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
        raise ValueError(f"{where}: {name} must be a non-negative float. Received: {name}={value!r}")
    return float(value)


def positive_float(value, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < math.inf:
        raise ValueError(f"{where}: {name} must be a positive float. Received: {name}={value!r}")
    return float(value)


def unit_interval_float(value, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"{where}: {name} must be a float in [0, 1]. Received: {name}={value!r}")
    return float(value)


def int_pair(value, name: str, where: str, minimum: int) -> tuple[int, int]:
    """An int or a pair (h, w) of ints, each ``>= minimum``, as ``(h, w)``."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or any(
        isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum for v in items
    ):
        raise ValueError(
            f"{where}: {name} must be an int >= {minimum} or a pair of them. Received: {name}={value!r}"
        )
    return operator.index(items[0]), operator.index(items[1])


def input_ndim(
    input_shape: tuple[int, ...], ndims: tuple[int, ...], layout: str, where: str, hint: str = ""
) -> None:
    """The input shape (without batch) must have one of ``ndims`` axes, e.g. (C, H, W)."""
    if len(input_shape) not in ndims:
        raise ValueError(
            f"{where}: expects inputs of shape (N, {layout}){hint}. "
            f"Received: input_shape={tuple(input_shape)}"
        )


FUSED_ACTIVATIONS = ("relu",)


def fused_activation(value, where: str) -> str | None:
    """None (also for ``"linear"``) or the name of an activation fused into the layer's kernel."""
    if value is None or value == "linear":
        return None
    if isinstance(value, str) and value.lower() in FUSED_ACTIVATIONS:
        return value.lower()
    raise ValueError(
        f"{where}: activation must be None, 'linear' or one of {list(FUSED_ACTIVATIONS)} (fused into the "
        f"kernel); put an activation layer after it for others. Received: activation={value!r}"
    )
