"""The caches of the normalization, resampling, extra activation and adaptive pooling ops, one small
``NamedTuple`` per op (as in ``_caches``, whose field checks their backward functions use)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def choice_field(value, choices: tuple[str, ...], name: str, where: str) -> str:
    """A string field of a cache, one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{where}: cache.{name} must be one of {choices}. Received: cache.{name}={value!r}")
    return value


class EluCache(NamedTuple):
    x: np.ndarray
    alpha: float


class GeluCache(NamedTuple):
    x: np.ndarray
    approximate: str  # "none" or "tanh"


class SoftplusCache(NamedTuple):
    x: np.ndarray
    beta: float
    threshold: float


class PReluCache(NamedTuple):
    x: np.ndarray  # (N, C, ...) or (N,) ... any shape with the channel on axis 1
    weight: np.ndarray  # (1,) or (C,)


class LayerNormCache(NamedTuple):
    x: np.ndarray  # (N, D), the input flattened, C-contiguous
    mean: np.ndarray  # (N,) float64
    inv_std: np.ndarray  # (N,) float64
    weight: np.ndarray  # (D,), flattened
    x_shape: tuple[int, ...]


class GroupNormCache(NamedTuple):
    x: np.ndarray  # (N * G, C // G * L), the input by group, C-contiguous
    mean: np.ndarray  # (N * G,) float64
    inv_std: np.ndarray  # (N * G,) float64
    weight: np.ndarray  # (C,)
    x_shape: tuple[int, ...]


class GlobalMaxPoolCache(NamedTuple):
    argmax: np.ndarray  # (N, C) int64, the flat index h*W + w of each channel's maximum
    x_shape: tuple[int, int, int, int]
    dtype: np.dtype


class AdaptiveAvgPoolCache(NamedTuple):
    output_size: tuple[int, int]
    x_shape: tuple[int, int, int, int]
    dtype: np.dtype


class UpSamplingCache(NamedTuple):
    size: tuple[int, int]
    interpolation: str  # "nearest" or "bilinear"
    x_shape: tuple[int, int, int, int]
    dtype: np.dtype


class ZeroPaddingCache(NamedTuple):
    padding: tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right))
    x_shape: tuple[int, int, int, int]
    dtype: np.dtype


class PaddedPoolCache(NamedTuple):
    inner: tuple  # the MaxPoolCache / AvgPoolCache of the pool over the padded copy
    padding: tuple[int, int]  # (top = bottom, left = right) zeros or -inf around x
    scale: np.ndarray | None  # (OH, OW): average pooling's ph * pw / divisor of each window; None for max
    x_shape: tuple[int, int, int, int]
    dtype: np.dtype
