"""Activations: ReLU, leaky ReLU, sigmoid, tanh (elementwise) and softmax (over the last axis). Every shape
is accepted, 0-d included for the elementwise ones; out and dx are ndarrays of x's shape (``np.asarray``
where NumPy would return a scalar for a 0-d input)."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .. import _workspace as workspace
from .._threads import get_num_threads
from .._validation import FLOAT_DTYPES, check_shape, float_array, real
from ._caches import LeakyReluCache, float_field, of_kind


def _array_cache(cache, forward: str, where: str) -> np.ndarray:
    """The cache of an element-wise op (x or out): a float32/float64 ndarray, C-contiguous."""
    if not isinstance(cache, np.ndarray) or cache.dtype not in FLOAT_DTYPES:
        got = f"dtype {cache.dtype}" if isinstance(cache, np.ndarray) else f"type {type(cache).__name__}"
        raise TypeError(
            f"{where}: cache must be the float array {forward} returned. Received: cache of {got}"
        )
    return np.asarray(cache, order="C")


def _upstream(dout, like: np.ndarray, where: str) -> np.ndarray:
    dout = float_array(dout, "dout", where, like.dtype)
    check_shape(dout, like.shape, "dout", where)
    return dout


def relu_forward(x) -> tuple[np.ndarray, np.ndarray]:
    """out = max(x, 0). Returns (out, cache) with out of x's shape; NaN stays NaN."""
    x = np.asarray(float_array(x, "x", "relu_forward"), order="C")  # not ascontiguousarray: it makes 0-d 1-D
    out = workspace.empty_like(x)
    _kernels.relu_forward(x.reshape(-1), out.reshape(-1), get_num_threads())
    return out, x


def relu_backward(dout, cache) -> np.ndarray:
    """dx = dout where x > 0, else 0."""
    x = _array_cache(cache, "relu_forward", "relu_backward")
    dout = np.asarray(_upstream(dout, x, "relu_backward"), order="C")
    dx = workspace.empty_like(x)
    # a select, not dout * mask: inf * 0 would be NaN
    _kernels.relu_backward(x.reshape(-1), dout.reshape(-1), dx.reshape(-1), get_num_threads())
    return dx


def leaky_relu_forward(x, negative_slope: float = 0.01) -> tuple[np.ndarray, tuple]:
    """out = x where x > 0, else negative_slope * x (torch's default slope 0.01)."""
    x = float_array(x, "x", "leaky_relu_forward")
    slope = x.dtype.type(real(negative_slope, "negative_slope", "leaky_relu_forward"))
    out = np.where(x > 0, x, x * slope)
    return out, LeakyReluCache(x, slope)


def leaky_relu_backward(dout, cache) -> np.ndarray:
    """dx = dout where x > 0, else negative_slope * dout."""
    where = "leaky_relu_backward"
    x, slope = of_kind(cache, LeakyReluCache, "leaky_relu_forward", where)
    x = float_field(x, "x", where)
    if not isinstance(slope, x.dtype.type):
        raise TypeError(f"{where}: cache.slope must be a {x.dtype} scalar. Received: cache.slope={slope!r}")
    dout = _upstream(dout, x, where)
    return np.where(x > 0, dout, dout * slope)


def sigmoid_forward(x) -> tuple[np.ndarray, np.ndarray]:
    """out = 1 / (1 + exp(-x)), computed without overflow for large |x|."""
    x = float_array(x, "x", "sigmoid_forward")
    z = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    out = np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)
    return out, out


def sigmoid_backward(dout, cache) -> np.ndarray:
    """dx = dout * out * (1 - out)."""
    out = _array_cache(cache, "sigmoid_forward", "sigmoid_backward")
    return np.asarray(_upstream(dout, out, "sigmoid_backward") * out * (1 - out))


def tanh_forward(x) -> tuple[np.ndarray, np.ndarray]:
    """out = tanh(x)."""
    x = float_array(x, "x", "tanh_forward")
    out = np.asarray(np.tanh(x))
    return out, out


def tanh_backward(dout, cache) -> np.ndarray:
    """dx = dout * (1 - out**2)."""
    out = _array_cache(cache, "tanh_forward", "tanh_backward")
    return np.asarray(_upstream(dout, out, "tanh_backward") * (1 - out * out))


def softmax_forward(x) -> tuple[np.ndarray, np.ndarray]:
    """Softmax over the last axis: out = exp(x) / sum(exp(x)), stable for any magnitude (torch.softmax(x,
    dim=-1)).

    Inputs: x of shape (N, ..., K). Returns (out, cache) with out (N, ..., K); the cache is out.
    """
    x = float_array(x, "x", "softmax_forward")
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(
            f"softmax_forward: x must have a last axis of at least one element. Received: x.shape={x.shape}"
        )
    shifted = x - x.max(axis=-1, keepdims=True)  # (N, ..., K), the max of each row is 0
    exp = np.exp(shifted)
    out = exp / exp.sum(axis=-1, keepdims=True)  # (N, ..., K)
    return out, out


def softmax_backward(dout, cache) -> np.ndarray:
    """The Jacobian-vector product dx = out * (dout - sum(dout * out over the last axis)).

    Inputs: dout (N, ..., K). Returns dx (N, ..., K).
    """
    out = _array_cache(cache, "softmax_forward", "softmax_backward")
    dout = _upstream(dout, out, "softmax_backward")
    return out * (dout - np.sum(dout * out, axis=-1, keepdims=True))  # (N, ..., K)
