"""Activations: ReLU, leaky ReLU, sigmoid, tanh, ELU, GELU, SiLU, softplus, PReLU (elementwise) and softmax
(over the last axis), with torch's formulas and defaults. Every shape
is accepted, 0-d included for the elementwise ones; out and dx are ndarrays of x's shape (``np.asarray``
where NumPy would return a scalar for a 0-d input)."""

from __future__ import annotations

import math

import numpy as np

from .. import _kernels
from .. import _workspace as workspace
from .._threads import get_num_threads
from .._validation import FLOAT_DTYPES, check_ndim, check_shape, float_array, one_of, positive_float, real
from ._caches import LeakyReluCache, array_field, float_field, of_kind
from ._caches_extra import EluCache, GeluCache, PReluCache, SoftplusCache, choice_field


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
    return relu_gate(dout, cache, "relu_forward", "relu_backward")


def relu_gate(dout, cache, forward: str, where: str) -> np.ndarray:
    """dout where cache > 0, else 0: the backward pass of a ReLU whose input, or output, is ``cache``."""
    x = _array_cache(cache, forward, where)
    dout = np.asarray(_upstream(dout, x, where), order="C")
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


def _scalar_field(value, name: str, where: str) -> float:
    """A float hyperparameter stored in a cache."""
    if not isinstance(value, float) or math.isnan(value):
        raise TypeError(f"{where}: cache.{name} must be a float. Received: cache.{name}={value!r}")
    return value


def elu_forward(x, alpha: float = 1.0) -> tuple[np.ndarray, EluCache]:
    """out = x where x > 0, else alpha * (exp(x) - 1) (torch.nn.ELU, default alpha 1.0)."""
    where = "elu_forward"
    x = float_array(x, "x", where)
    alpha = real(alpha, "alpha", where, wanted="a finite float")
    with np.errstate(over="ignore"):  # exp of large x is discarded by the select
        out = np.asarray(np.where(x > 0, x, np.expm1(np.minimum(x, 0)) * x.dtype.type(alpha)))
    return out, EluCache(x, alpha)


def elu_backward(dout, cache) -> np.ndarray:
    """dx = dout where x > 0, else dout * alpha * exp(x)."""
    where = "elu_backward"
    x, alpha = of_kind(cache, EluCache, "elu_forward", where)
    x, alpha = float_field(x, "x", where), _scalar_field(alpha, "alpha", where)
    dout = _upstream(dout, x, where)
    return np.asarray(np.where(x > 0, dout, dout * (x.dtype.type(alpha) * np.exp(np.minimum(x, 0)))))


_erf = np.frompyfunc(math.erf, 1, 1)  # NumPy has no erf; math.erf is exact to double precision
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_KAPPA = 0.044715


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """Phi(x) = (1 + erf(x / sqrt(2))) / 2, in x's dtype (computed in float64)."""
    x64 = np.asarray(x, dtype=np.float64)
    return (0.5 * (1.0 + np.asarray(_erf(x64 / math.sqrt(2)), dtype=np.float64))).astype(x.dtype)


def gelu_forward(x, approximate: str = "none") -> tuple[np.ndarray, GeluCache]:
    """out = x * Phi(x) with Phi the standard normal CDF (torch.nn.GELU); ``approximate="tanh"``:
    out = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))."""
    where = "gelu_forward"
    x = float_array(x, "x", where)
    approximate = one_of(approximate, ("none", "tanh"), "approximate", where)
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + _GELU_KAPPA * x * x * x)
        out = 0.5 * x * (1 + np.tanh(inner))
    else:
        out = x * _normal_cdf(x)
    return np.asarray(out, dtype=x.dtype), GeluCache(x, approximate)


def gelu_backward(dout, cache) -> np.ndarray:
    """dx = dout * (Phi(x) + x * phi(x)) (phi the normal density), or the derivative of the tanh form."""
    where = "gelu_backward"
    x, approximate = of_kind(cache, GeluCache, "gelu_forward", where)
    x = float_field(x, "x", where)
    approximate = choice_field(approximate, ("none", "tanh"), "approximate", where)
    dout = _upstream(dout, x, where)
    if approximate == "tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_KAPPA * x * x * x))
        slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * _GELU_KAPPA * x * x)
    else:
        slope = _normal_cdf(x) + x * (np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))
    return np.asarray(dout * slope, dtype=x.dtype)


def silu_forward(x) -> tuple[np.ndarray, np.ndarray]:
    """out = x * sigmoid(x) (torch.nn.SiLU); the cache is x."""
    x = float_array(x, "x", "silu_forward")
    return np.asarray(x * sigmoid_forward(x)[0]), x


def silu_backward(dout, cache) -> np.ndarray:
    """dx = dout * s * (1 + x * (1 - s)), s = sigmoid(x)."""
    x = _array_cache(cache, "silu_forward", "silu_backward")
    dout = _upstream(dout, x, "silu_backward")
    s = sigmoid_forward(x)[0]
    return np.asarray(dout * (s * (1 + x * (1 - s))))


def softplus_forward(x, beta: float = 1.0, threshold: float = 20.0) -> tuple[np.ndarray, SoftplusCache]:
    """out = log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold (torch.nn.Softplus,
    defaults beta 1, threshold 20)."""
    where = "softplus_forward"
    x = float_array(x, "x", where)
    beta = positive_float(beta, "beta", where)
    threshold = real(threshold, "threshold", where, wanted="a finite float")
    scaled = x * x.dtype.type(beta)
    soft = np.log1p(np.exp(np.minimum(scaled, threshold))) / x.dtype.type(beta)
    return np.asarray(np.where(scaled > threshold, x, soft)), SoftplusCache(x, beta, threshold)


def softplus_backward(dout, cache) -> np.ndarray:
    """dx = dout * sigmoid(beta * x), and dout where beta * x > threshold."""
    where = "softplus_backward"
    x, beta, threshold = of_kind(cache, SoftplusCache, "softplus_forward", where)
    x = float_field(x, "x", where)
    beta, threshold = _scalar_field(beta, "beta", where), _scalar_field(threshold, "threshold", where)
    dout = _upstream(dout, x, where)
    scaled = x * x.dtype.type(beta)
    return np.asarray(np.where(scaled > threshold, dout, dout * sigmoid_forward(scaled)[0]))


def _channel_view(weight: np.ndarray, x: np.ndarray) -> np.ndarray:
    """PReLU's slopes shaped to broadcast over x: (1,) as is, (C,) along axis 1."""
    return weight if weight.size == 1 else weight.reshape(1, -1, *(1,) * (x.ndim - 2))


def prelu_forward(x, weight) -> tuple[np.ndarray, PReluCache]:
    """out = x where x > 0, else weight * x (torch.nn.PReLU): one learned slope (weight (1,)) or one per
    channel (weight (C,), x (N, C, ...)).

    Returns (out, cache) with out of x's shape.
    """
    where = "prelu_forward"
    x = float_array(x, "x", where)
    weight = float_array(weight, "weight", where, x.dtype)
    check_ndim(weight, (1,), "weight", where, "(1,) or (C,)")
    if weight.size != 1:
        if x.ndim < 2 or x.shape[1] != weight.size:
            raise ValueError(
                f"{where}: weight (C,) must have one slope per channel of x (N, C, ...). "
                f"Received: weight.shape={weight.shape}, x.shape={x.shape}"
            )
    out = np.where(x > 0, x, x * _channel_view(weight, x))
    return out, PReluCache(x, weight)


def prelu_backward(dout, cache) -> tuple[np.ndarray, np.ndarray]:
    """dx = dout where x > 0, else weight * dout; dweight = sum of dout * x where x <= 0 (per channel).

    Returns (dx, dweight) with dweight of weight's shape.
    """
    where = "prelu_backward"
    x, weight = of_kind(cache, PReluCache, "prelu_forward", where)
    x = float_field(x, "x", where)
    weight = array_field(weight, "weight", where, dtype=x.dtype, ndim=1)
    if weight.size == 0 or (weight.size != 1 and (x.ndim < 2 or x.shape[1] != weight.size)):
        raise ValueError(
            f"{where}: cache.weight does not fit cache.x. Received: cache.weight.shape={weight.shape}, "
            f"cache.x.shape={x.shape}"
        )
    dout = _upstream(dout, x, where)
    positive = x > 0
    dx = np.where(positive, dout, dout * _channel_view(weight, x))
    contribution = np.where(positive, 0, dout * x)
    if weight.size == 1:
        dweight = np.asarray(contribution.sum(), dtype=x.dtype).reshape(1)
    else:
        axes = (0, *range(2, x.ndim))
        dweight = contribution.sum(axis=axes).astype(x.dtype, copy=False)  # (C,)
    return np.asarray(dx), dweight
