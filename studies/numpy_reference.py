"""Lab B's CNN layers in plain NumPy (no convkit): each a ``forward(...) -> (out, cache)`` and
``backward(dout, cache) -> grads`` pair, the convolution by im2col and one matrix product.

Layouts are convkit's and torch's: images NCHW, convolution weights OIHW, affine weights (D, M).
The study ``numpy_cnn`` times these against ``convkit.functional`` and torch on the same network.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Valid cross-correlation, stride 1: x (N, C, H, W), w (F, C, KH, KW), b (F,) ->
    out (N, F, H - KH + 1, W - KW + 1)."""
    n, _, h, width = x.shape
    f, c, kh, kw = w.shape
    oh, ow = h - kh + 1, width - kw + 1
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, OH, OW, KH, KW), a view
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)  # (N*OH*OW, C*KH*KW)
    out = cols @ w.reshape(f, c * kh * kw).T + b  # (N*OH*OW, F)
    out = out.reshape(n, oh, ow, f).transpose(0, 3, 1, 2)  # (N, F, OH, OW)
    return np.ascontiguousarray(out), (cols, w, x.shape)


def conv2d_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout (N, F, OH, OW) -> (dx (N, C, H, W), dw (F, C, KH, KW), db (F,))."""
    cols, w, x_shape = cache
    n, c, h, width = x_shape
    f, _, kh, kw = w.shape
    oh, ow = dout.shape[2:]
    d2 = dout.transpose(0, 2, 3, 1).reshape(n * oh * ow, f)  # (N*OH*OW, F)
    dw = (d2.T @ cols).reshape(w.shape)  # (F, C, KH, KW)
    db = dout.sum(axis=(0, 2, 3))  # (F,)
    dcols = (d2 @ w.reshape(f, c * kh * kw)).reshape(n, oh, ow, c, kh, kw)  # (N, OH, OW, C, KH, KW)
    dcols = dcols.transpose(0, 3, 4, 5, 1, 2)  # (N, C, KH, KW, OH, OW)
    dx = np.zeros(x_shape, dtype=dout.dtype)  # col2im: each tap adds its shifted window back
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i : i + oh, j : j + ow] += dcols[:, :, i, j]
    return dx, dw, db


def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """x (N, D) @ w (D, M) + b (M,) -> out (N, M)."""
    return x @ w + b, (x, w)


def affine_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout (N, M) -> (dx (N, D), dw (D, M), db (M,))."""
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out = 1 / (1 + exp(-x)), of x's shape; the cache is out."""
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout: np.ndarray, out: np.ndarray) -> np.ndarray:
    return dout * out * (1 - out)


def softmax_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Softmax over the last axis of x (N, K); the cache is out."""
    exp = np.exp(x - x.max(axis=1, keepdims=True))
    out = exp / exp.sum(axis=1, keepdims=True)  # (N, K)
    return out, out


def softmax_backward(dout: np.ndarray, out: np.ndarray) -> np.ndarray:
    """dx = out * (dout - sum(dout * out)) row by row."""
    return out * (dout - (dout * out).sum(axis=1, keepdims=True))


def cross_entropy(probs: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean of -log(probs[i, y[i]]) over the batch: (loss, dprobs (N, K))."""
    rows = np.arange(len(y))
    loss = float(-np.log(probs[rows, y]).mean())
    dprobs = np.zeros_like(probs)
    dprobs[rows, y] = -1 / (len(y) * probs[rows, y])
    return loss, dprobs
