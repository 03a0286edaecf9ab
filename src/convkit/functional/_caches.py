"""The caches the forward functions return, one small ``NamedTuple`` per op, and the checks their backward
functions run before any compiled code: the cache must be of the op's kind and its arrays and shapes must
agree with each other (a cache from another op, or one modified by hand, is a ``TypeError`` or
``ValueError`` naming ``cache``, never an out-of-bounds write).

The caches stay tuples: ``argmax, x_shape, dtype = cache`` unpacks as before.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._validation import FLOAT_DTYPES, _is_int


class LeakyReluCache(NamedTuple):
    x: np.ndarray
    slope: np.floating


class AffineCache(NamedTuple):
    x2: np.ndarray  # (N, D), the flattened input
    w: np.ndarray  # (D, M)
    x_shape: tuple[int, ...]  # x's original shape (N, d1, ..., dk)


class AffineReluCache(NamedTuple):
    affine: AffineCache
    out: np.ndarray  # (N, M), after the ReLU


class BatchNormCache(NamedTuple):
    x3: np.ndarray  # (N, C, L)
    mean: np.ndarray  # (C,) float64
    inv_std: np.ndarray  # (C,) float64
    gamma: np.ndarray  # (C,)
    beta: np.ndarray  # (C,): a fused ReLU's gate is recomputed from x with it
    batch_stats: bool
    x_shape: tuple[int, ...]


class BatchNormReluCache(NamedTuple):
    bn: BatchNormCache
    out: np.ndarray  # x's shape, after the ReLU


class DropoutCache(NamedTuple):
    mask: np.ndarray | None  # x's shape, the scaled mask; None when nothing was dropped
    x_shape: tuple[int, ...]


class MaxPoolCache(NamedTuple):
    argmax: np.ndarray  # (N, C, OH, OW): 0..3 in a 2x2 window (unsigned), else the flat index h*W + w
    x_shape: tuple[int, int, int, int]
    dtype: np.dtype


class AvgPoolCache(NamedTuple):
    pool_size: tuple[int, int]
    stride: tuple[int, int]
    out_shape: tuple[int, int, int, int]
    x_shape: tuple[int, int, int, int]
    dtype: np.dtype


class GlobalAvgPoolCache(NamedTuple):
    x_shape: tuple[int, int, int, int]
    dtype: np.dtype


class ShiftCache(NamedTuple):
    shifts: np.ndarray | None  # (N, 2) integer (dy, dx) per image; None when nothing moved
    max_shift: tuple[int, int]
    x_shape: tuple[int, int, int, int]
    dtype: np.dtype


class ConvCache(NamedTuple):
    x: np.ndarray  # (N, C, H + eh, W + ew), C-contiguous: the input, ``extra`` zero rows/columns appended
    w: np.ndarray  # (F, C // groups, KH, KW), C-contiguous
    stride: tuple[int, int]
    padding: tuple[int, int]  # zeros the kernels add on both sides
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    extra: tuple[int, int] = (0, 0)  # (eh, ew) zeros appended below and right ("same"'s odd remainder)


class ConvReluCache(NamedTuple):
    conv: ConvCache
    out: np.ndarray  # (N, F, OH, OW), after the ReLU


class ConvTransposeCache(NamedTuple):
    x: np.ndarray  # (N, C, H', W'), C-contiguous: the input, zero-extended to conv2d's size of out
    w: np.ndarray  # (C, F // groups, KH, KW), C-contiguous
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    out_size: tuple[int, int]  # (OH, OW)
    in_size: tuple[int, int]  # (H, W), x's own size (dx is cropped to it)


class RescalingCache(NamedTuple):
    scale: float
    x_shape: tuple[int, ...]
    dtype: np.dtype


class NormalizationCache(NamedTuple):
    std: np.ndarray  # (1, C, 1, ..., 1) or (1, 1, 1, ..., 1) of x's dtype, positive
    x_shape: tuple[int, ...]
    dtype: np.dtype


class CropCache(NamedTuple):
    offsets: np.ndarray | None  # (N, 2) integer (top, left) into the padded image; None when out is x
    padding: tuple[int, int]
    size: tuple[int, int]
    x_shape: tuple[int, int, int, int]
    dtype: np.dtype


class FlipCache(NamedTuple):
    flip_w: np.ndarray | None  # (N,) bool: the images reversed along W; None when no image is
    flip_h: np.ndarray | None  # (N,) bool: along H
    x_shape: tuple[int, int, int, int]
    dtype: np.dtype


def of_kind(cache, kind: type, forward: str, where: str):
    """``cache`` if it is a ``kind`` (what ``forward`` returns), else ``TypeError``."""
    if not isinstance(cache, kind):
        raise TypeError(
            f"{where}: cache must be the cache {forward} returned ({kind.__name__}). "
            f"Received: cache of type {type(cache).__name__}"
        )
    return cache


def array_field(value, name: str, where: str, *, dtype=None, shape=None, ndim=None) -> np.ndarray:
    """The ndarray field ``name`` of a cache, of ``dtype`` (one dtype or a tuple), ``shape`` and ``ndim``."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{where}: cache.{name} must be an ndarray. Received: type {type(value).__name__}")
    dtypes = dtype if isinstance(dtype, tuple) else (dtype,)
    if dtype is not None and value.dtype not in dtypes:
        wanted = " or ".join(str(np.dtype(d)) for d in dtypes)
        raise TypeError(
            f"{where}: cache.{name} must be of {wanted}. Received: cache.{name}.dtype={value.dtype}"
        )
    if shape is not None and value.shape != tuple(shape):
        raise ValueError(
            f"{where}: cache.{name} must have shape {tuple(shape)}. "
            f"Received: cache.{name}.shape={value.shape}"
        )
    if ndim is not None and value.ndim != ndim:
        raise ValueError(
            f"{where}: cache.{name} must be {ndim}-D. Received: cache.{name}.shape={value.shape}"
        )
    return value


def shape_field(value, name: str, where: str, ndim: int | None = None) -> tuple[int, ...]:
    """The shape field ``name`` of a cache: a tuple of ``ndim`` non-negative ints."""
    if (
        not isinstance(value, tuple)
        or not all(_is_int(d) and d >= 0 for d in value)
        or (ndim is not None and len(value) != ndim)
    ):
        wanted = "a shape" if ndim is None else f"a {ndim}-D shape"
        raise ValueError(f"{where}: cache.{name} must be {wanted}. Received: cache.{name}={value!r}")
    return tuple(int(d) for d in value)


def dtype_field(value, where: str) -> np.dtype:
    """The dtype field of a cache: float32 or float64."""
    if not isinstance(value, (np.dtype, type)) or np.dtype(value) not in FLOAT_DTYPES:
        raise TypeError(f"{where}: cache.dtype must be float32 or float64. Received: cache.dtype={value!r}")
    return np.dtype(value)


def float_field(value, name: str, where: str, dtype=None) -> np.ndarray:
    """A float32/float64 ndarray field (of ``dtype`` when given), any shape."""
    return array_field(value, name, where, dtype=FLOAT_DTYPES if dtype is None else dtype)
