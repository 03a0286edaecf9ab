"""Inverted dropout: zero each element with probability p, scale the survivors by 1 / (1 - p)."""

from __future__ import annotations

import numpy as np

from .._validation import check_shape, flag, float_array, optional_seed, unit_interval_float
from ._caches import DropoutCache, array_field, of_kind, shape_field


def dropout_forward(x, p: float, training: bool, rng: np.random.Generator | int | None = None) -> tuple:
    """Dropout forward pass.

    Inputs:
    - x: any shape
    - p: the probability of *dropping* an element, in [0, 1]
    - training: False (or p == 0) returns x unchanged
    - rng: a numpy Generator, a seed, or None for a fresh generator

    Returns (out, cache) with out of x's shape; cache holds the scaled mask (None when nothing is dropped).
    """
    where = "dropout_forward"
    x = float_array(x, "x", where)
    p = unit_interval_float(p, "p", where)
    training = flag(training, "training", where)
    if not isinstance(rng, np.random.Generator):
        rng = optional_seed(rng, "rng", where)
    if not training or p == 0.0:
        return x, DropoutCache(None, x.shape)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    keep = rng.random(x.shape) >= p
    mask = np.asarray(keep.astype(x.dtype))  # (same shape as x), an ndarray for a 0-d x too
    mask *= 0.0 if p == 1.0 else 1.0 / (1.0 - p)  # in x's dtype: a float64 product of bools was 2x slower
    return np.asarray(x * mask), DropoutCache(mask, x.shape)  # an ndarray for a 0-d x too


def dropout_backward(dout, cache) -> np.ndarray:
    """Dropout backward pass: dx = dout * mask (the same elements dropped and scaled)."""
    where = "dropout_backward"
    mask, x_shape = of_kind(cache, DropoutCache, "dropout_forward", where)
    x_shape = shape_field(x_shape, "x_shape", where)
    if mask is not None:
        array_field(mask, "mask", where, shape=x_shape)
    dout = float_array(dout, "dout", where)
    check_shape(dout, x_shape, "dout", where)
    return dout if mask is None else np.asarray(dout * mask.astype(dout.dtype, copy=False))
