"""Fully connected (affine) layer: out = x @ w + b."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .._threads import get_num_threads
from .._validation import check_ndim, check_shape, float_array


def affine_forward(x, w, b) -> tuple[np.ndarray, tuple]:
    """Affine layer forward pass.

    Inputs:
    - x: (N, d1, ..., dk), flattened to (N, D) with D = d1 * ... * dk
    - w: (D, M)
    - b: (M,)

    Returns (out, cache) with out (N, M).
    """
    where = "affine_forward"
    x = float_array(x, "x", where)
    w = float_array(w, "w", where, x.dtype)
    b = float_array(b, "b", where, x.dtype)
    if x.ndim < 1:
        raise ValueError(f"{where}: x must have a batch axis (N, d1, ..., dk). Received: x.shape={x.shape}")
    x2 = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))  # (N, D)
    check_ndim(w, (2,), "w", where, "(D, M)")
    if w.shape[0] != x2.shape[1]:
        raise ValueError(
            f"{where}: w must have D={x2.shape[1]} rows, the size of one flattened sample of x with shape "
            f"{x.shape}. Received: w.shape={w.shape}"
        )
    check_shape(b, (w.shape[1],), "b", where)
    # convkit's own GEMM: numpy's BLAS threads would ignore set_num_threads and spin against the kernels
    out = np.empty((x2.shape[0], w.shape[1]), dtype=x.dtype)  # (N, M)
    _kernels.gemm(x2, np.ascontiguousarray(w), out, np.ascontiguousarray(b), get_num_threads())
    return out, (x2, w, x.shape)


def affine_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Affine layer backward pass.

    Inputs:
    - dout: (N, M) upstream gradient
    - cache: from affine_forward

    Returns (dx, dw, db): dx in x's original shape (N, d1, ..., dk), dw (D, M), db (M,).
    """
    x2, w, x_shape = cache
    dout = float_array(dout, "dout", "affine_backward", x2.dtype)
    check_shape(dout, (x2.shape[0], w.shape[1]), "dout", "affine_backward")
    dout = np.ascontiguousarray(dout)
    n_threads = get_num_threads()
    dx = np.empty((x2.shape[0], w.shape[0]), dtype=x2.dtype)  # (N, D)
    _kernels.gemm(dout, np.ascontiguousarray(w.T), dx, None, n_threads)
    dw = np.empty(w.shape, dtype=x2.dtype)  # (D, M)
    _kernels.gemm(x2.T, dout, dw, None, n_threads)
    db = dout.sum(axis=0)  # (M,)
    return dx.reshape(x_shape), dw, db  # dx: (N, D) -> (N, d1, ..., dk)
