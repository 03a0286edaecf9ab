"""The plain NumPy im2col + GEMM convolution the issue compares against (the CS231n "fast layers" recipe).

im2col gathers every receptive field with fancy indexing into a (C*KH*KW, OH*OW*N) matrix, the forward pass
is one matmul with the (F, C*KH*KW) weights, and the backward pass scatters the column gradient back with
``np.add.at``. This is what a student writes first; it is the baseline convkit must beat by >= 3x.
"""

from __future__ import annotations

import numpy as np


def _im2col_indices(x_shape, kh, kw, padding, stride):
    N, C, H, W = x_shape
    OH = (H + 2 * padding - kh) // stride + 1
    OW = (W + 2 * padding - kw) // stride + 1
    i0 = np.tile(np.repeat(np.arange(kh), kw), C)
    i1 = stride * np.repeat(np.arange(OH), OW)
    j0 = np.tile(np.arange(kw), kh * C)
    j1 = stride * np.tile(np.arange(OW), OH)
    i = i0.reshape(-1, 1) + i1.reshape(1, -1)
    j = j0.reshape(-1, 1) + j1.reshape(1, -1)
    k = np.repeat(np.arange(C), kh * kw).reshape(-1, 1)
    return k, i, j, OH, OW


def conv_forward(x, w, b, stride=1, padding=0):
    """out (N, F, OH, OW) and a cache for conv_backward."""
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    k, i, j, OH, OW = _im2col_indices(x.shape, KH, KW, padding, stride)
    cols = x_pad[:, k, i, j]  # (N, C*KH*KW, OH*OW)
    cols = cols.transpose(1, 2, 0).reshape(C * KH * KW, -1)  # (K, OH*OW*N)
    out = w.reshape(F, -1) @ cols + b.reshape(-1, 1)  # (F, OH*OW*N)
    out = out.reshape(F, OH, OW, N).transpose(3, 0, 1, 2)
    return np.ascontiguousarray(out), (x.shape, w, cols, stride, padding, (k, i, j))


def conv_backward(dout, cache):
    """(dx, dw, db)."""
    x_shape, w, cols, stride, padding, (k, i, j) = cache
    N, C, H, W = x_shape
    F = w.shape[0]
    db = dout.sum(axis=(0, 2, 3))
    dout2 = dout.transpose(1, 2, 3, 0).reshape(F, -1)  # (F, OH*OW*N)
    dw = (dout2 @ cols.T).reshape(w.shape)
    dcols = w.reshape(F, -1).T @ dout2  # (K, OH*OW*N)
    dx_pad = np.zeros((N, C, H + 2 * padding, W + 2 * padding), dtype=dout.dtype)
    dcols = dcols.reshape(C * w.shape[2] * w.shape[3], -1, N).transpose(2, 0, 1)
    np.add.at(dx_pad, (slice(None), k, i, j), dcols)
    dx = dx_pad[:, :, padding : padding + H, padding : padding + W] if padding else dx_pad
    return np.ascontiguousarray(dx), dw, db
