"""Argument checks for the whole package: the functional API, layers, optimizers, regularizers, datasets
and the torch models.

One contract: a value of the wrong type raises ``TypeError``, a value of the right type that is out of
range raises ``ValueError``; both messages name the caller, the argument, what was expected and what was
received, in the Keras style: ``"Conv2D: filters must be a positive int. Received: filters=0"``. ``where``
is the caller's name (a function or a class). The compiled kernels run with bounds checks off, so nothing
reaches them unchecked.
"""

from __future__ import annotations

import math
import numbers
import operator
import os
from collections.abc import Collection
from pathlib import Path

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _is_int(value) -> bool:
    if type(value) is int:  # the common case, without the slower ABC check below
        return True
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Integral)


def is_real(value) -> bool:
    if type(value) in (int, float):  # the common case, without the slower ABC check below
        return True
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real)


# -- scalars ---------------------------------------------------------------------------------------------
def int_at_least(value, minimum: int, name: str, where: str, wanted: str | None = None) -> int:
    """``value`` as an int >= ``minimum``."""
    wanted = wanted or f"an int >= {minimum}"
    if not _is_int(value):
        raise TypeError(f"{where}: {name} must be {wanted}. Received: {name}={value!r}")
    if value < minimum:
        raise ValueError(f"{where}: {name} must be {wanted}. Received: {name}={value!r}")
    return operator.index(value)


def positive_int(value, name: str, where: str) -> int:
    """``value`` as an int >= 1."""
    return int_at_least(value, 1, name, where, wanted="a positive int")


def non_negative_int(value, name: str, where: str) -> int:
    """``value`` as an int >= 0."""
    return int_at_least(value, 0, name, where, wanted="a non-negative int")


def positive_ints(values, name: str, where: str) -> tuple[int, ...]:
    """A non-empty sequence of positive ints, as a tuple."""
    wanted = "a non-empty sequence of positive ints"
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{where}: {name} must be {wanted}. Received: {name}={values!r}")
    items = tuple(values)
    if not all(_is_int(v) for v in items):
        raise TypeError(f"{where}: {name} must be {wanted}. Received: {name}={items!r}")
    if not items or min(items) < 1:
        raise ValueError(f"{where}: {name} must be {wanted}. Received: {name}={items!r}")
    return tuple(operator.index(v) for v in items)


def optional_seed(value, name: str, where: str) -> int | None:
    """None or a non-negative int, as ``np.random.default_rng`` takes."""
    if value is None:
        return None
    return int_at_least(value, 0, name, where, wanted="None or a non-negative int")


def real(
    value,
    name: str,
    where: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_inclusive: bool = True,
    high_inclusive: bool = False,
    wanted: str | None = None,
) -> float:
    """``value`` as a float in the interval from ``low`` to ``high`` (NaN is never in it).

    The bounds are ``[low, high)`` by default; ``low_inclusive`` and ``high_inclusive`` open or close them.
    ``wanted`` words the expectation in the message (default: the interval, e.g. ``"a float in [0, 1)"``).
    """
    if wanted is None:
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        wanted = f"a float >= {low}" if high == math.inf else f"a float in {left}{low}, {high}{right}"
    if not is_real(value):
        raise TypeError(f"{where}: {name} must be {wanted}. Received: {name}={value!r}")
    number = float(value)
    above_low = number >= low if low_inclusive else number > low
    below_high = number <= high if high_inclusive else number < high
    if not (above_low and below_high):
        raise ValueError(f"{where}: {name} must be {wanted}. Received: {name}={value!r}")
    return number


def non_negative_float(value, name: str, where: str) -> float:
    """A finite float >= 0."""
    return real(value, name, where, low=0.0, wanted="a non-negative float")


def positive_float(value, name: str, where: str) -> float:
    """A finite float > 0."""
    return real(value, name, where, low=0.0, low_inclusive=False, wanted="a positive float")


def unit_interval_float(value, name: str, where: str) -> float:
    """A float in [0, 1] (a probability, a momentum)."""
    return real(value, name, where, low=0.0, high=1.0, high_inclusive=True, wanted="a float in [0, 1]")


def flag(value, name: str, where: str) -> bool:
    """A bool (NumPy's too); no other truthy or falsy value."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be a bool. Received: {name}={value!r}")
    return bool(value)


def one_of(value, choices: Collection, name: str, where: str):
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{where}: {name} must be one of {listed}. Received: {name}={value!r}")
    return value


def path_like(value, name: str, where: str) -> Path:
    """A str or path-like (``os.PathLike``) as a ``Path``."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{where}: {name} must be a str or a path. Received: {name}={value!r}")
    return Path(value)


# -- pairs -----------------------------------------------------------------------------------------------
C_INT_MAX = 2**31 - 1  # the compiled kernels take sizes, strides and paddings as C ints


def int_pair(value, name: str, where: str, minimum: int, maximum: int = C_INT_MAX) -> tuple[int, int]:
    """An int or a pair (h, w) of ints, each in ``[minimum, maximum]``, as ``(h, w)``; a float is a
    ``TypeError``."""
    wanted = f"an int >= {minimum} or a pair of them"
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2:
        raise ValueError(f"{where}: {name} must be {wanted}. Received: {name}={value!r}")
    if not all(_is_int(item) for item in items):
        raise TypeError(f"{where}: {name} must be {wanted}. Received: {name}={value!r}")
    if min(items) < minimum:
        raise ValueError(f"{where}: {name} must be {wanted}. Received: {name}={value!r}")
    if max(items) > maximum:
        raise ValueError(f"{where}: {name} must be at most {maximum}. Received: {name}={value!r}")
    return operator.index(items[0]), operator.index(items[1])


def betas_pair(value, where: str) -> tuple[float, float]:
    """Two decay rates ``(beta1, beta2)``, each in [0, 1), as torch's ``betas``."""
    wanted = "two floats in [0, 1)"
    if not isinstance(value, (tuple, list)) or not all(is_real(beta) for beta in value):
        raise TypeError(f"{where}: betas must be {wanted}. Received: betas={value!r}")
    if len(value) != 2 or not all(0 <= beta < 1 for beta in value):
        raise ValueError(f"{where}: betas must be {wanted}. Received: betas={value!r}")
    return float(value[0]), float(value[1])


# -- arrays and shapes -----------------------------------------------------------------------------------
def float_array(value, name: str, where: str, dtype: np.dtype | None = None) -> np.ndarray:
    """``value`` as a float32/float64 ndarray.

    Without ``dtype`` a float32/float64 array keeps its dtype and integers or booleans become float64.
    With ``dtype`` the result is cast to it (the dtype of the primary input of an op).
    Complex, object, string and other float widths raise ``TypeError``.
    """
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as err:  # a ragged nested list, an object refusing conversion
        raise TypeError(
            f"{where}: {name} must be a real array of float32 or float64. "
            f"Received: {name} of type {type(value).__name__} ({err})"
        ) from err
    kind = arr.dtype.kind
    if kind not in "fiub" or (kind == "f" and arr.dtype not in FLOAT_DTYPES):
        raise TypeError(
            f"{where}: {name} must be a real array of float32 or float64 (integers are converted). "
            f"Received: {name}.dtype={arr.dtype}"
        )
    if dtype is None:
        dtype = arr.dtype if kind == "f" else np.dtype(np.float64)
    return arr.astype(dtype, copy=False)


def contiguous(arr: np.ndarray) -> np.ndarray:
    """C-contiguous ``arr`` (a copy only when needed), as the kernels require."""
    return np.ascontiguousarray(arr)


def check_ndim(arr: np.ndarray, ndims: tuple[int, ...], name: str, where: str, layout: str) -> None:
    """``arr`` has one of ``ndims`` axes; ``layout`` names them, e.g. ``"(N, C, H, W)"``."""
    if arr.ndim not in ndims:
        wanted = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"{where}: {name} must be {wanted} {layout}. Received: {name}.shape={arr.shape}")


def check_shape(arr: np.ndarray, shape: tuple[int, ...], name: str, where: str) -> None:
    """``arr`` has exactly ``shape``."""
    if arr.shape != tuple(shape):
        raise ValueError(
            f"{where}: {name} must have shape {tuple(shape)}. Received: {name}.shape={arr.shape}"
        )


def input_ndim(
    input_shape: tuple[int, ...], ndims: tuple[int, ...], layout: str, where: str, hint: str = ""
) -> None:
    """A layer's input shape (without batch) has one of ``ndims`` axes, e.g. (C, H, W)."""
    if len(input_shape) not in ndims:
        raise ValueError(
            f"{where}: expects inputs of shape (N, {layout}){hint}. "
            f"Received: input_shape={tuple(input_shape)}"
        )


def labels(y, num_classes: int, n: int, where: str) -> np.ndarray:
    """Integer class labels of shape (n,), each in [0, num_classes)."""
    try:
        arr = np.asarray(y)
    except (ValueError, TypeError) as err:  # a ragged nested list
        raise TypeError(
            f"{where}: y must hold integer class labels. Received: y of type {type(y).__name__}"
        ) from err
    # one-hot targets (n, num_classes): say how to get the labels
    hint = "; y looks one-hot: pass y.argmax(axis=1)" if arr.shape == (n, num_classes) else ""
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{where}: y must hold integer class labels{hint}. Received: y.dtype={arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(
            f"{where}: y must have shape ({n},), one label per row{hint}. Received: y.shape={arr.shape}"
        )
    if n and (arr.min() < 0 or arr.max() >= num_classes):
        i = int(np.flatnonzero((arr < 0) | (arr >= num_classes))[0])
        raise ValueError(f"{where}: y must hold labels in [0, {num_classes}). Received: y[{i}]={int(arr[i])}")
    return arr.astype(np.intp, copy=False)


def sample_weight_array(value, n: int, dtype: np.dtype, where: str) -> np.ndarray:
    """Per-sample loss weights: a (n,) array of ``dtype`` with finite, non-negative values."""
    weight = float_array(value, "sample_weight", where, dtype)
    check_shape(weight, (n,), "sample_weight", where)
    bad = ~(np.isfinite(weight) & (weight >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{where}: sample_weight must hold finite, non-negative weights. "
            f"Received: sample_weight[{i}]={weight[i]}"
        )
    return weight


def not_an_iterable(value, name: str, where: str, supported: str) -> None:
    """A ``TypeError`` for a generator, a ``DataLoader`` or any other iterable that is not array-like
    (a list, a tuple, an object with ``__array__``) where an array is expected; ``supported`` says what
    the caller takes instead."""
    array_like = isinstance(value, (np.ndarray, list, tuple, str, bytes)) or hasattr(value, "__array__")
    if not array_like and hasattr(value, "__iter__"):
        raise TypeError(
            f"{where}: {name} must be an array, not a {type(value).__name__} (an iterable). {supported} "
            f"Received: {name}={value!r}"
        )


def channels_last_hint(shape: tuple[int, ...], expected: tuple[int, ...] | None = None) -> str:
    """For a sample shape (H, W, C) with C in 1, 3 or 4 (and (C, H, W) == ``expected`` when given): a
    sentence naming the transpose that makes the images channels-first, else ``""``."""
    if len(shape) != 3 or shape[2] not in (1, 3, 4):
        return ""
    if expected is not None and (shape[2], shape[0], shape[1]) != tuple(expected):
        return ""
    return " The input looks channels-last (N, H, W, C); convkit wants (N, C, H, W): x.transpose(0, 3, 1, 2)."


def keras_alias(value, keras_value, name: str, keras_name: str, where: str):
    """``value``, or ``keras_value`` when only Keras's name for the same argument was passed (both None:
    None); both passed is a ``ValueError``."""
    if keras_value is None:
        return value
    if value is not None:
        raise ValueError(
            f"{where}: pass {name} or its alias {keras_name}, not both. "
            f"Received: {name}={value!r}, {keras_name}={keras_value!r}"
        )
    return keras_value
