"""Fully connected (affine) layer: out = x @ w + b."""

from __future__ import annotations

import math

import numpy as np

from .. import _kernels
from .. import _workspace as workspace
from .._threads import get_num_threads
from .._validation import check_ndim, check_shape, float_array
from ._caches import AffineCache, AffineReluCache, array_field, float_field, of_kind, shape_field
from .activations import relu_backward


def affine_forward(x, w, b) -> tuple[np.ndarray, tuple]:
    """Affine layer forward pass.

    Inputs:
    - x: (N, d1, ..., dk), flattened to (N, D) with D = d1 * ... * dk
    - w: (D, M)
    - b: (M,)

    Returns (out, cache) with out (N, M).
    """
    return _forward(x, w, b, False, "affine_forward")


def affine_relu_forward(x, w, b) -> tuple[np.ndarray, tuple]:
    """max(x @ w + b, 0) with the ReLU fused into the GEMM (CS231n's affine_relu sandwich).

    Inputs and out as in ``affine_forward``; the cache also holds out, for the ReLU's mask.
    """
    out, cache = _forward(x, w, b, True, "affine_relu_forward")
    return out, AffineReluCache(cache, out)


def _forward(x, w, b, relu: bool, where: str) -> tuple[np.ndarray, tuple]:
    x = float_array(x, "x", where)
    w = float_array(w, "w", where, x.dtype)
    b = float_array(b, "b", where, x.dtype)
    if x.ndim < 1:
        raise ValueError(f"{where}: x must have a batch axis (N, d1, ..., dk). Received: x.shape={x.shape}")
    x2 = x.reshape(x.shape[0], math.prod(x.shape[1:]))  # (N, D)
    check_ndim(w, (2,), "w", where, "(D, M)")
    if w.shape[0] != x2.shape[1]:
        raise ValueError(
            f"{where}: w must have D={x2.shape[1]} rows, the size of one flattened sample of x with shape "
            f"{x.shape}. Received: w.shape={w.shape}"
        )
    check_shape(b, (w.shape[1],), "b", where)
    # convkit's own GEMM (any strides: w and its transpose are packed, never copied): numpy's BLAS threads
    # would ignore set_num_threads and spin against the kernels
    out = workspace.empty((x2.shape[0], w.shape[1]), x.dtype)  # (N, M)
    _kernels.gemm(x2, w, out, np.ascontiguousarray(b), relu, get_num_threads())
    return out, AffineCache(x2, w, x.shape)


def affine_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Affine layer backward pass.

    Inputs:
    - dout: (N, M) upstream gradient
    - cache: from affine_forward

    Returns (dx, dw, db): dx in x's original shape (N, d1, ..., dk), dw (D, M), db (M,).
    """
    x2, w, x_shape = cache = _cache(cache, "affine_backward")
    dout = _upstream(dout, cache, "affine_backward")
    return (_input_gradient(dout, cache), *_weight_gradients(dout, cache))


def affine_backward_input(dout, cache) -> np.ndarray:
    """The input half of ``affine_backward``, for a frozen layer (no parameter gradients).

    Returns dx in x's original shape (N, d1, ..., dk), equal to affine_backward's.
    """
    cache = _cache(cache, "affine_backward_input")
    return _input_gradient(_upstream(dout, cache, "affine_backward_input"), cache)


def _input_gradient(dout: np.ndarray, cache: AffineCache) -> np.ndarray:
    x2, w, x_shape = cache
    dx = workspace.empty((x2.shape[0], w.shape[0]), x2.dtype)  # (N, D)
    _kernels.gemm(dout, w.T, dx, None, False, get_num_threads())
    return dx.reshape(x_shape)  # (N, D) -> (N, d1, ..., dk)


def affine_backward_weights(dout, cache) -> tuple[np.ndarray, np.ndarray]:
    """The parameter half of ``affine_backward``, for when nothing needs dx (a network's first layer).

    Returns (dw, db) with dw (D, M), db (M,), equal to affine_backward's.
    """
    cache = _cache(cache, "affine_backward_weights")
    return _weight_gradients(_upstream(dout, cache, "affine_backward_weights"), cache)


def affine_relu_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of ``affine_relu_forward``: (dx, dw, db) as in ``affine_backward``."""
    affine_cache, out = of_kind(cache, AffineReluCache, "affine_relu_forward", "affine_relu_backward")
    return affine_backward(relu_backward(dout, out), affine_cache)


def affine_relu_backward_input(dout, cache) -> np.ndarray:
    """``affine_relu_backward``'s dx alone, for a frozen layer."""
    affine_cache, out = of_kind(cache, AffineReluCache, "affine_relu_forward", "affine_relu_backward_input")
    return affine_backward_input(relu_backward(dout, out), affine_cache)


def affine_relu_backward_weights(dout, cache) -> tuple[np.ndarray, np.ndarray]:
    """The parameter half of ``affine_relu_backward``: (dw, db), for a network's first layer."""
    where = "affine_relu_backward_weights"
    affine_cache, out = of_kind(cache, AffineReluCache, "affine_relu_forward", where)
    return affine_backward_weights(relu_backward(dout, out), affine_cache)


def _cache(cache, where: str) -> AffineCache:
    """``cache`` checked: an ``AffineCache`` whose x2 (N, D), w (D, M) and x_shape agree."""
    x2, w, x_shape = of_kind(cache, AffineCache, "affine_forward", where)
    x2 = float_field(x2, "x2", where)
    array_field(x2, "x2", where, ndim=2)
    array_field(w, "w", where, dtype=x2.dtype, ndim=2)
    x_shape = shape_field(x_shape, "x_shape", where)
    if w.shape[0] != x2.shape[1] or not x_shape or (x_shape[0], math.prod(x_shape[1:])) != x2.shape:
        raise ValueError(
            f"{where}: cache does not hold one affine_forward's arrays. "
            f"Received: cache.x2.shape={x2.shape}, cache.w.shape={w.shape}, cache.x_shape={x_shape}"
        )
    return AffineCache(x2, w, x_shape)


def _upstream(dout, cache, where: str) -> np.ndarray:
    x2, w, _ = cache
    dout = float_array(dout, "dout", where, x2.dtype)
    check_shape(dout, (x2.shape[0], w.shape[1]), "dout", where)
    return np.ascontiguousarray(dout)


def _weight_gradients(dout: np.ndarray, cache) -> tuple[np.ndarray, np.ndarray]:
    x2, w, _ = cache
    dw = np.empty(w.shape, dtype=x2.dtype)  # (D, M)
    _kernels.gemm(x2.T, dout, dw, None, False, get_num_threads())
    return dw, dout.sum(axis=0)  # db: (M,)
