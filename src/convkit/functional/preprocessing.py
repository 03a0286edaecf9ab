"""Preprocessing ops: an affine rescaling of the values (Keras' ``Rescaling``) and per-channel
normalization by a fixed mean and standard deviation (torchvision's ``Normalize``)."""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_shape, float_array, real
from ._caches import NormalizationCache, RescalingCache, array_field, dtype_field, of_kind, shape_field


def _finite(value, name: str, where: str) -> float:
    return real(value, name, where, low=-math.inf, low_inclusive=False, wanted="a finite float")


def rescaling_forward(x, scale: float, offset: float = 0.0) -> tuple[np.ndarray, RescalingCache]:
    """Rescaling forward pass: out = x * scale + offset (e.g. scale=1/255 for 8-bit images).

    Inputs:
    - x: (N, ...) any shape
    - scale, offset: finite floats

    Returns (out, cache) with out of x's shape and dtype; the cache holds scale and x's shape.
    """
    where = "rescaling_forward"
    x = float_array(x, "x", where)
    scale, offset = _finite(scale, "scale", where), _finite(offset, "offset", where)
    return x * x.dtype.type(scale) + x.dtype.type(offset), RescalingCache(scale, x.shape, x.dtype)


def rescaling_backward(dout, cache) -> np.ndarray:
    """Rescaling backward pass: dout (N, ...) -> dx = dout * scale, of the same shape."""
    where = "rescaling_backward"
    scale, x_shape, dtype = of_kind(cache, RescalingCache, "rescaling_forward", where)
    scale = _finite(scale, "cache.scale", where)
    x_shape, dtype = shape_field(x_shape, "x_shape", where), dtype_field(dtype, where)
    dout = float_array(dout, "dout", where, dtype)
    check_shape(dout, x_shape, "dout", where)
    return dout * dtype.type(scale)


def _per_channel(values, x: np.ndarray, name: str, where: str) -> np.ndarray:
    """``values`` (a float or one per channel) shaped to broadcast over x's axis 1: (1, C, 1, ...)."""
    float_array(values, name, where)  # a real array, else TypeError
    arr = np.asarray(values, dtype=x.dtype).reshape(-1)  # (C,) or (1,)
    if x.ndim < 2 or arr.size not in (1, x.shape[1]):
        raise ValueError(
            f"{where}: {name} must be a float or hold one value per channel (axis 1 of x, "
            f"x.shape={x.shape}). Received: {name} of size {arr.size}"
        )
    return arr.reshape((1, -1) + (1,) * (x.ndim - 2))  # (1, C, 1, ..., 1)


def normalization_forward(x, mean, std) -> tuple[np.ndarray, NormalizationCache]:
    """Normalization forward pass: out[:, c] = (x[:, c] - mean[c]) / std[c].

    Inputs:
    - x: (N, C, ...) (images (N, C, H, W), features (N, C))
    - mean: a float or (C,) values
    - std: a float or (C,) positive values

    Returns (out, cache) with out (N, C, ...); the cache holds std shaped (1, C, 1, ...) and x's shape.
    """
    where = "normalization_forward"
    x = float_array(x, "x", where)
    mean = _per_channel(mean, x, "mean", where)
    std = _per_channel(std, x, "std", where)
    if not (std > 0).all():
        raise ValueError(f"{where}: std must be positive. Received: std={std.reshape(-1).tolist()}")
    return (x - mean) / std, NormalizationCache(std, x.shape, x.dtype)


def normalization_backward(dout, cache) -> np.ndarray:
    """Normalization backward pass: dout (N, C, ...) -> dx[:, c] = dout[:, c] / std[c]."""
    where = "normalization_backward"
    std, x_shape, dtype = of_kind(cache, NormalizationCache, "normalization_forward", where)
    x_shape, dtype = shape_field(x_shape, "x_shape", where), dtype_field(dtype, where)
    std = array_field(std, "std", where, dtype=dtype, ndim=len(x_shape))
    if len(x_shape) < 2 or std.shape not in ((1, c, *(1,) * (len(x_shape) - 2)) for c in {1, x_shape[1]}):
        raise ValueError(
            f"{where}: cache.std must have shape (1, C, 1, ...) or (1, 1, 1, ...) for "
            f"cache.x_shape={x_shape}. Received: cache.std.shape={std.shape}"
        )
    if not (std > 0).all():
        raise ValueError(
            f"{where}: cache.std must be positive. Received: cache.std={std.reshape(-1).tolist()}"
        )
    dout = float_array(dout, "dout", where, dtype)
    check_shape(dout, x_shape, "dout", where)
    return dout / std
