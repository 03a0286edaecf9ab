"""Argument checks shared by the functional API and the layers.

Every check raises ``TypeError`` or ``ValueError`` whose message names the function, the argument, what
was expected and what was received, in the Keras style: ``"conv2d_forward: x must be 4-D (N, C, H, W).
Received: x.shape=(3, 4)"``. The compiled kernels run with bounds checks off, so nothing reaches them
unchecked.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def float_array(value, name: str, where: str, dtype: np.dtype | None = None) -> np.ndarray:
    """``value`` as a float32/float64 ndarray.

    Without ``dtype`` a float32/float64 array keeps its dtype and integers or booleans become float64.
    With ``dtype`` the result is cast to it (the dtype of the primary input of an op).
    Complex, object, string and other float widths raise ``TypeError``.
    """
    arr = np.asarray(value)
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
    if arr.ndim not in ndims:
        wanted = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"{where}: {name} must be {wanted} {layout}. Received: {name}.shape={arr.shape}")


def check_shape(arr: np.ndarray, shape: tuple[int, ...], name: str, where: str) -> None:
    if arr.shape != tuple(shape):
        raise ValueError(
            f"{where}: {name} must have shape {tuple(shape)}. Received: {name}.shape={arr.shape}"
        )


def int_pair(value, name: str, where: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each ``>= minimum``, as ``(h, w)``."""
    items = value if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2:
        raise ValueError(f"{where}: {name} must be an int or a pair (h, w). Received: {name}={value!r}")
    pair = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, numbers.Integral):
            raise TypeError(f"{where}: {name} must be an int or a pair of ints. Received: {name}={value!r}")
        pair.append(operator.index(item))
    if min(pair) < minimum:
        raise ValueError(f"{where}: {name} must be >= {minimum}. Received: {name}={value!r}")
    return pair[0], pair[1]


def probability(value, name: str, where: str) -> float:
    """A float in [0, 1]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{where}: {name} must be a float in [0, 1]. Received: {name}={value!r}")
    return float(value)


def labels(y, num_classes: int, n: int, where: str) -> np.ndarray:
    """Integer class labels of shape (n,), each in [0, num_classes)."""
    arr = np.asarray(y)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{where}: y must hold integer class labels. Received: y.dtype={arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(
            f"{where}: y must have shape ({n},), one label per row. Received: y.shape={arr.shape}"
        )
    if n and (arr.min() < 0 or arr.max() >= num_classes):
        i = int(np.flatnonzero((arr < 0) | (arr >= num_classes))[0])
        raise ValueError(f"{where}: y must hold labels in [0, {num_classes}). Received: y[{i}]={int(arr[i])}")
    return arr.astype(np.intp, copy=False)


# Checks used by torch_models


def int_at_least(value, minimum: int, name: str, where: str, wanted: str | None = None) -> int:
    """``value`` as an int >= ``minimum``."""
    wanted = wanted or f"an int >= {minimum}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{where}: {name} must be {wanted}. Received: {name}={value!r} of type {type(value).__name__}"
        )
    if value < minimum:
        raise ValueError(f"{where}: {name} must be {wanted}. Received: {name}={value!r}")
    return int(value)


def positive_int(value, name: str, where: str) -> int:
    """``value`` as an int >= 1."""
    return int_at_least(value, 1, name, where, wanted="a positive int")


def positive_ints(values, name: str, where: str) -> tuple[int, ...]:
    """A non-empty sequence of positive ints, as a tuple."""
    wanted = f"{where}: {name} must be a non-empty sequence of positive ints."
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{wanted} Received: {name}={values!r}")
    values = tuple(values)
    if any(isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral) for v in values):
        raise TypeError(f"{wanted} Received: {name}={values!r}")
    if not values or min(values) < 1:
        raise ValueError(f"{wanted} Received: {name}={values!r}")
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
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
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
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
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
