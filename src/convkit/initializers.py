"""Weight initializers: ``initializer(shape, rng, dtype) -> array`` of ``shape``, drawn from ``rng``.

Layers take an initializer by name (``"he_normal"``, ``"glorot_uniform"``, ``"zeros"``) or as any callable
with that signature. The fans follow the layouts of convkit's kernels:

- Dense kernel (in_features, units): fan_in = in_features, fan_out = units
- Conv2D kernel (filters, in_channels, KH, KW): fan_in = in_channels*KH*KW, fan_out = filters*KH*KW
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

import numpy as np

from ._registry import add

Initializer = Callable[[tuple, np.random.Generator, np.dtype], np.ndarray]

BY_NAME: dict[str, Initializer] = {}  # name -> initializer, filled by ``register``


def register(name: str) -> Callable[[Initializer], Initializer]:
    """Function decorator: make the initializer known to ``get`` (and the layers) as ``name``."""

    def decorator(initializer: Initializer) -> Initializer:
        add(BY_NAME, name, initializer, "initializer")
        return initializer

    return decorator


def compute_fans(shape: Sequence[int]) -> tuple[int, int]:
    """(fan_in, fan_out) of a Dense kernel (in, out) or a Conv2D kernel (out, in, KH, KW)."""
    shape = tuple(shape)
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) == 4:
        receptive_field = shape[2] * shape[3]
        return shape[1] * receptive_field, shape[0] * receptive_field
    raise ValueError(
        f"compute_fans: shape must be a Dense kernel (in, out) or a Conv2D kernel (out, in, KH, KW). "
        f"Received: shape={shape}"
    )


@register("he_normal")
def he_normal(shape: Sequence[int], rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """Kaiming normal for ReLU networks: N(0, std^2) with std = sqrt(2 / fan_in).

    The same as ``torch.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")``.
    """
    fan_in, _ = compute_fans(shape)
    std = np.sqrt(2.0 / fan_in)
    return (std * rng.standard_normal(tuple(shape))).astype(dtype)


@register("glorot_uniform")
def glorot_uniform(shape: Sequence[int], rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """Xavier/Glorot uniform: U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)).

    The same as ``torch.nn.init.xavier_uniform_`` and Keras' ``glorot_uniform``.
    """
    fan_in, fan_out = compute_fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=tuple(shape)).astype(dtype)


@register("zeros")
def zeros(shape: Sequence[int], rng: np.random.Generator, dtype=np.float32) -> np.ndarray:
    """All zeros (``rng`` is unused; it is taken for the common signature)."""
    return np.zeros(tuple(shape), dtype=dtype)


def get(identifier: str | Initializer) -> Initializer:
    """The initializer function for a name in ``BY_NAME``, or ``identifier`` itself when it is callable."""
    if callable(identifier):
        return identifier
    message = (
        f"initializers.get: expected one of {sorted(BY_NAME)} or a callable(shape, rng, dtype). "
        f"Received: {identifier!r}"
    )
    if not isinstance(identifier, str):
        raise TypeError(message)
    if identifier not in BY_NAME:
        raise ValueError(message)
    return BY_NAME[identifier]
