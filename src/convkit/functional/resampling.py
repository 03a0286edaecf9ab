"""Resampling of (N, C, H, W) images: upsampling by integer factors (torch.nn.Upsample with
``scale_factor``, nearest or bilinear with ``align_corners=False``) and zero padding (torch.nn.ZeroPad2d)."""

from __future__ import annotations

import numpy as np

from .._validation import _is_int, check_ndim, check_shape, float_array, int_pair, one_of
from ._caches import dtype_field, of_kind, shape_field
from ._caches_extra import UpSamplingCache, ZeroPaddingCache, choice_field

INTERPOLATIONS = ("nearest", "bilinear")
MAX_FACTOR = 2**16  # an upsampling factor beyond it is a mistake, not an image


def _images(x, where: str) -> np.ndarray:
    x = float_array(x, "x", where)
    check_ndim(x, (4,), "x", where, "(N, C, H, W)")
    return x


def _bilinear_taps(size: int, factor: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each of the size * factor outputs along an axis: the two source indices and their weights,
    torch's align_corners=False rule: src = max((dst + 0.5) / factor - 0.5, 0)."""
    src = np.maximum((np.arange(size * factor) + 0.5) * (1.0 / factor) - 0.5, 0.0)
    low = src.astype(np.int64)  # floor: src >= 0
    high = np.minimum(low + 1, size - 1)
    high_weight = src - low
    return low, high, 1.0 - high_weight, high_weight


def _interpolate(x: np.ndarray, taps, axis: int) -> np.ndarray:
    low, high, low_weight, high_weight = taps
    shape = [1] * x.ndim
    shape[axis] = -1
    low_weight = low_weight.astype(x.dtype).reshape(shape)
    high_weight = high_weight.astype(x.dtype).reshape(shape)
    return x.take(low, axis=axis) * low_weight + x.take(high, axis=axis) * high_weight


def _interpolate_backward(dout: np.ndarray, taps, axis: int, size: int) -> np.ndarray:
    """The transpose of ``_interpolate``: each output's gradient back to its two sources."""
    low, high, low_weight, high_weight = taps
    moved = np.moveaxis(dout, axis, 0)  # (O, ...)
    shape = (-1,) + (1,) * (moved.ndim - 1)
    dx = np.zeros((size, *moved.shape[1:]), dout.dtype)
    np.add.at(dx, low, moved * low_weight.astype(dout.dtype).reshape(shape))
    np.add.at(dx, high, moved * high_weight.astype(dout.dtype).reshape(shape))
    return np.moveaxis(dx, 0, axis)


def upsampling2d_forward(x, size=2, interpolation: str = "nearest") -> tuple[np.ndarray, UpSamplingCache]:
    """Upsampling by integer factors (torch.nn.Upsample(scale_factor=size, mode=interpolation),
    align_corners=False).

    Inputs:
    - x: (N, C, H, W)
    - size: int or (sh, sw), the factors, each >= 1
    - interpolation: "nearest" (each pixel repeated) or "bilinear"

    Returns (out, cache) with out (N, C, H * sh, W * sw).
    """
    where = "upsampling2d_forward"
    x = _images(x, where)
    sh, sw = int_pair(size, "size", where, minimum=1, maximum=MAX_FACTOR)
    interpolation = one_of(interpolation, INTERPOLATIONS, "interpolation", where)
    N, C, H, W = x.shape
    if interpolation == "nearest":
        out = x.repeat(sh, axis=2).repeat(sw, axis=3)  # (N, C, H*sh, W*sw)
    elif H == 0 or W == 0:
        out = np.zeros((N, C, H * sh, W * sw), x.dtype)
    else:
        rows = _interpolate(x, _bilinear_taps(H, sh), axis=2)  # (N, C, H*sh, W)
        out = _interpolate(rows, _bilinear_taps(W, sw), axis=3)  # (N, C, H*sh, W*sw)
    return np.ascontiguousarray(out), UpSamplingCache((sh, sw), interpolation, x.shape, x.dtype)


def upsampling2d_backward(dout, cache) -> np.ndarray:
    """Upsampling backward pass: dout (N, C, H * sh, W * sw) -> dx (N, C, H, W)."""
    where = "upsampling2d_backward"
    size, interpolation, x_shape, dtype = of_kind(cache, UpSamplingCache, "upsampling2d_forward", where)
    x_shape, dtype = shape_field(x_shape, "x_shape", where, ndim=4), dtype_field(dtype, where)
    sh, sw = int_pair(size, "cache.size", where, minimum=1, maximum=MAX_FACTOR)
    interpolation = choice_field(interpolation, INTERPOLATIONS, "interpolation", where)
    N, C, H, W = x_shape
    dout = float_array(dout, "dout", where, dtype)
    check_shape(dout, (N, C, H * sh, W * sw), "dout", where)
    if interpolation == "nearest":
        return np.ascontiguousarray(dout.reshape(N, C, H, sh, W, sw).sum(axis=(3, 5)))
    if H == 0 or W == 0:
        return np.zeros(x_shape, dtype)
    drows = _interpolate_backward(dout, _bilinear_taps(W, sw), axis=3, size=W)  # (N, C, H*sh, W)
    return np.ascontiguousarray(_interpolate_backward(drows, _bilinear_taps(H, sh), axis=2, size=H))


def zero_padding(value, where: str, name: str = "padding") -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras's ZeroPadding2D ``padding``: an int (all sides), (ph, pw) (symmetric) or ((top, bottom),
    (left, right)), each in [0, 2**16]; returned as ((top, bottom), (left, right))."""
    wanted = "an int >= 0, a pair (ph, pw) or ((top, bottom), (left, right))"
    nested = isinstance(value, (tuple, list)) and len(value) == 2
    if nested and all(isinstance(v, (tuple, list)) for v in value):
        return tuple(int_pair(tuple(v), name, where, 0, MAX_FACTOR) for v in value)
    if not (_is_int(value) or isinstance(value, (tuple, list))):
        raise TypeError(f"{where}: {name} must be {wanted}. Received: {name}={value!r}")
    ph, pw = int_pair(value, name, where, 0, MAX_FACTOR)
    return (ph, ph), (pw, pw)


def zero_padding2d_forward(x, padding=1) -> tuple[np.ndarray, ZeroPaddingCache]:
    """Zero padding of H and W (torch.nn.ZeroPad2d, Keras's ZeroPadding2D).

    Inputs: x (N, C, H, W); padding: an int, (ph, pw) or ((top, bottom), (left, right)).
    Returns (out, cache) with out (N, C, top + H + bottom, left + W + right).
    """
    where = "zero_padding2d_forward"
    x = _images(x, where)
    (top, bottom), (left, right) = zero_padding(padding, where)
    out = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    return out, ZeroPaddingCache(((top, bottom), (left, right)), x.shape, x.dtype)


def zero_padding2d_backward(dout, cache) -> np.ndarray:
    """Zero padding backward pass: the gradient of the unpadded part, dx (N, C, H, W)."""
    where = "zero_padding2d_backward"
    padding, x_shape, dtype = of_kind(cache, ZeroPaddingCache, "zero_padding2d_forward", where)
    x_shape, dtype = shape_field(x_shape, "x_shape", where, ndim=4), dtype_field(dtype, where)
    (top, bottom), (left, right) = zero_padding(padding, where, "cache.padding")
    N, C, H, W = x_shape
    dout = float_array(dout, "dout", where, dtype)
    check_shape(dout, (N, C, top + H + bottom, left + W + right), "dout", where)
    return np.ascontiguousarray(dout[:, :, top : top + H, left : left + W])
