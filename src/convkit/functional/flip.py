"""Random flip: mirror each image left-right and/or upside down with probability 1/2 (a data augmentation,
Keras' ``RandomFlip``)."""

from __future__ import annotations

import numpy as np

from .._validation import check_ndim, check_shape, flag, float_array, one_of, optional_seed
from ._caches import FlipCache, array_field, dtype_field, of_kind, shape_field

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def _flip(arr: np.ndarray, flip_w: np.ndarray | None, flip_h: np.ndarray | None) -> np.ndarray:
    out = arr.copy()
    if flip_w is not None:
        out[flip_w] = out[flip_w, :, :, ::-1]  # (n, C, H, W), columns reversed
    if flip_h is not None:
        out[flip_h] = out[flip_h, :, ::-1, :]  # (n, C, H, W), rows reversed
    return out


def random_flip_forward(
    x, mode: str, training: bool, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, FlipCache]:
    """Random flip forward pass: each image reversed along W (``"horizontal"``), H (``"vertical"``) or
    each of them independently (``"horizontal_and_vertical"``), each flip with probability 1/2.

    Inputs:
    - x: (N, C, H, W)
    - mode: one of ``FLIP_MODES``
    - training: False returns x unchanged
    - rng: a numpy Generator, a seed, or None for a fresh generator; draws ``rng.random(N) < 0.5`` for
      the horizontal flips, then for the vertical ones

    Returns (out, cache) with out (N, C, H, W); the cache holds the (N,) boolean masks of the flipped
    images (None for an axis not flipped).
    """
    where = "random_flip_forward"
    x = float_array(x, "x", where)
    check_ndim(x, (4,), "x", where, "(N, C, H, W)")
    if not isinstance(mode, str):
        raise TypeError(f"{where}: mode must be a str, one of {FLIP_MODES}. Received: mode={mode!r}")
    one_of(mode, FLIP_MODES, "mode", where)
    training = flag(training, "training", where)
    if not isinstance(rng, np.random.Generator):
        rng = optional_seed(rng, "rng", where)
    if not training:
        return x, FlipCache(None, None, x.shape, x.dtype)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    flip_w = rng.random(len(x)) < 0.5 if mode != "vertical" else None  # (N,)
    flip_h = rng.random(len(x)) < 0.5 if mode != "horizontal" else None  # (N,)
    return _flip(x, flip_w, flip_h), FlipCache(flip_w, flip_h, x.shape, x.dtype)


def random_flip_backward(dout, cache) -> np.ndarray:
    """Random flip backward pass: dout (N, C, H, W) -> dx (N, C, H, W), each image's gradient flipped back
    (a flip is its own inverse and adjoint)."""
    where = "random_flip_backward"
    flip_w, flip_h, x_shape, dtype = of_kind(cache, FlipCache, "random_flip_forward", where)
    x_shape, dtype = shape_field(x_shape, "x_shape", where, ndim=4), dtype_field(dtype, where)
    for name, mask in (("flip_w", flip_w), ("flip_h", flip_h)):
        if mask is not None:
            array_field(mask, name, where, dtype=np.bool_, shape=x_shape[:1])
    dout = float_array(dout, "dout", where, dtype)
    check_shape(dout, x_shape, "dout", where)
    if flip_w is None and flip_h is None:
        return dout
    return _flip(dout, flip_w, flip_h)
