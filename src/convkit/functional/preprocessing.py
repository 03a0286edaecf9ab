"""Preprocessing ops: an affine rescaling of the values (Keras' ``Rescaling``) and per-channel
normalization by a fixed mean and standard deviation (torchvision's ``Normalize``)."""

from __future__ import annotations

import numpy as np

from .._validation import check_shape, float_array


def rescaling_forward(x, scale: float, offset: float = 0.0) -> tuple[np.ndarray, tuple]:
    """Rescaling forward pass: out = x * scale + offset (e.g. scale=1/255 for 8-bit images).

    Inputs:
    - x: (N, ...) any shape
    - scale, offset: floats

    Returns (out, cache) with out of x's shape and dtype; the cache holds scale and x's shape.
    """
    x = float_array(x, "x", "rescaling_forward")
    return x * x.dtype.type(scale) + x.dtype.type(offset), (scale, x.shape, x.dtype)


def rescaling_backward(dout, cache) -> np.ndarray:
    """Rescaling backward pass: dout (N, ...) -> dx = dout * scale, of the same shape."""
    scale, x_shape, dtype = cache
    dout = float_array(dout, "dout", "rescaling_backward", dtype)
    check_shape(dout, x_shape, "dout", "rescaling_backward")
    return dout * dtype.type(scale)


def _per_channel(values, x: np.ndarray, name: str, where: str) -> np.ndarray:
    """``values`` (a float or one per channel) shaped to broadcast over x's axis 1: (1, C, 1, ...)."""
    arr = np.asarray(values, dtype=x.dtype).reshape(-1)  # (C,) or (1,)
    if x.ndim < 2 or arr.size not in (1, x.shape[1]):
        raise ValueError(
            f"{where}: {name} must be a float or hold one value per channel (axis 1 of x, "
            f"x.shape={x.shape}). Received: {name} of size {arr.size}"
        )
    return arr.reshape((1, -1) + (1,) * (x.ndim - 2))  # (1, C, 1, ..., 1)


def normalization_forward(x, mean, std) -> tuple[np.ndarray, tuple]:
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
    return (x - mean) / std, (std, x.shape, x.dtype)


def normalization_backward(dout, cache) -> np.ndarray:
    """Normalization backward pass: dout (N, C, ...) -> dx[:, c] = dout[:, c] / std[c]."""
    std, x_shape, dtype = cache
    dout = float_array(dout, "dout", "normalization_backward", dtype)
    check_shape(dout, x_shape, "dout", "normalization_backward")
    return dout / std
