"""Batch normalization over (N, C) or (N, C, H, W), with torch.nn.BatchNorm1d/2d semantics, alone, with a
ReLU fused into it, or with a residual block's sum and ReLU fused into it."""

from __future__ import annotations

import math

import numpy as np

from .. import _kernels
from .. import _workspace as workspace
from .._threads import get_num_threads
from .._validation import (
    FLOAT_DTYPES,
    check_ndim,
    check_shape,
    contiguous,
    flag,
    float_array,
    real,
    unit_interval_float,
)
from ._caches import BatchNormCache, BatchNormReluCache, array_field, float_field, of_kind, shape_field
from .activations import relu_backward, relu_gate


def _running_stat(arr, name: str, channels: int, where: str) -> np.ndarray:
    """A running statistic must be a writeable float32/float64 ndarray of shape (C,): it is updated in
    place (float16, like a float16 input, is a ``TypeError``)."""
    if not isinstance(arr, np.ndarray) or arr.dtype not in FLOAT_DTYPES:
        got = f"{name}.dtype={arr.dtype}" if isinstance(arr, np.ndarray) else f"type {type(arr).__name__}"
        raise TypeError(
            f"{where}: {name} must be a float32/float64 ndarray updated in place. Received: {got}"
        )
    check_shape(arr, (channels,), name, where)
    if not arr.flags.writeable:
        raise ValueError(f"{where}: {name} must be writeable: it is updated in place. Received: read-only")
    return arr


def batchnorm_forward(
    x, gamma, beta, running_mean, running_var, training: bool = True, momentum: float = 0.1, eps: float = 1e-5
) -> tuple[np.ndarray, tuple]:
    """Batch normalization forward pass.

    Inputs:
    - x: (N, C) or (N, C, H, W); statistics are per channel C, over N (and H, W)
    - gamma, beta: (C,) scale and shift
    - running_mean, running_var: (C,) float ndarrays, updated in place when training:
      running = (1 - momentum) * running + momentum * batch_stat, with the *unbiased* batch variance.
      Both None: no running statistics, batch statistics are used in eval mode too (torch's
      track_running_stats=False).
    - training: True normalizes with the batch statistics, False with the running ones
    - momentum: in [0, 1]; eps: > 0, added to the variance

    Returns (out, cache) with out of x's shape.
    """
    return _forward(
        x, gamma, beta, running_mean, running_var, training, momentum, eps, False, "batchnorm_forward"
    )


def batchnorm_relu_forward(
    x, gamma, beta, running_mean, running_var, training: bool = True, momentum: float = 0.1, eps: float = 1e-5
) -> tuple[np.ndarray, BatchNormReluCache]:
    """max(batchnorm(x), 0) with the ReLU fused into the normalization: one pass fewer over memory each way.

    Inputs and out as in ``batchnorm_forward``; the cache also holds out, whose positive entries let dout
    through in the backward pass.
    """
    out, cache = _forward(
        x, gamma, beta, running_mean, running_var, training, momentum, eps, True, "batchnorm_relu_forward"
    )
    return out, BatchNormReluCache(cache, out)


def batchnorm_add_relu_forward(
    x,
    residual,
    gamma,
    beta,
    running_mean,
    running_var,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[np.ndarray, BatchNormReluCache]:
    """max(batchnorm(x) + residual, 0): the end of a ResNet basic block (its last batch norm, the shortcut's
    sum and the ReLU) in one pass over memory instead of two, bit for bit ``add_relu_forward`` of
    ``batchnorm_forward``'s output and residual.

    Inputs as in ``batchnorm_forward``, and residual: an array of x's shape (converted to x's dtype).
    Returns (out, cache) with out of x's shape; the cache also holds out, whose positive entries let dout
    through to both summands in the backward pass.
    """
    where = "batchnorm_add_relu_forward"
    x = float_array(x, "x", where)
    residual = float_array(residual, "residual", where, x.dtype)
    check_shape(residual, x.shape, "residual", where)
    out, cache = _forward(
        x, gamma, beta, running_mean, running_var, training, momentum, eps, True, where, residual
    )
    return out, BatchNormReluCache(cache, out)


def _forward(
    x, gamma, beta, running_mean, running_var, training, momentum, eps, relu: bool, where: str, residual=None
) -> tuple[np.ndarray, BatchNormCache]:
    """The batch norm of x (+ residual, an array of x's shape, before the ReLU)."""
    x = float_array(x, "x", where)
    check_ndim(x, (2, 4), "x", where, "(N, C) or (N, C, H, W)")
    C = x.shape[1]
    gamma = contiguous(float_array(gamma, "gamma", where, x.dtype))
    beta = contiguous(float_array(beta, "beta", where, x.dtype))
    check_shape(gamma, (C,), "gamma", where)
    check_shape(beta, (C,), "beta", where)
    training = flag(training, "training", where)
    momentum = unit_interval_float(momentum, "momentum", where)
    eps = real(
        eps, "eps", where, low=0.0, low_inclusive=False, high_inclusive=True, wanted="a positive float"
    )
    tracking = running_mean is not None or running_var is not None
    if tracking:
        running_mean = _running_stat(running_mean, "running_mean", C, where)
        running_var = _running_stat(running_var, "running_var", C, where)

    x3 = contiguous(x.reshape(x.shape[0], C, math.prod(x.shape[2:])))  # (N, C, L), L = H*W or 1
    count = x3.shape[0] * x3.shape[2]
    n_threads = get_num_threads()
    batch_stats = training or not tracking
    if batch_stats:
        if count < 2:
            raise ValueError(
                f"{where}: training needs more than 1 value per channel to compute a variance. "
                f"Received: x.shape={x.shape}"
            )
        mean = np.empty(C, dtype=np.float64)
        var = np.empty(C, dtype=np.float64)
    else:
        mean = running_mean.astype(np.float64)
        var = running_var.astype(np.float64)
    inv_std = np.empty(C, dtype=np.float64)  # 1 / sqrt(var + eps)
    out = workspace.empty_like(x3)
    residual3 = None if residual is None else contiguous(residual.reshape(x3.shape))  # (N, C, L)
    _kernels.batchnorm_forward(
        x3, gamma, beta, residual3, mean, var, eps, inv_std, out, relu, batch_stats, n_threads
    )
    if training and tracking:
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * var * (count / (count - 1))
    return out.reshape(x.shape), BatchNormCache(x3, mean, inv_std, gamma, beta, batch_stats, x.shape)


def batchnorm_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch normalization backward pass.

    Inputs:
    - dout: upstream gradient of x's shape
    - cache: from batchnorm_forward

    Returns (dx, dgamma, dbeta) with dx of x's shape and dgamma, dbeta (C,).
    In training mode the gradient flows through the batch mean and variance; in eval mode they are constants.
    """
    where = "batchnorm_backward"
    return _backward(dout, _cache(cache, where), None, where)


def batchnorm_relu_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of ``batchnorm_relu_forward``: (dx, dgamma, dbeta) as ``batchnorm_backward``'s of
    dout where out > 0, else 0."""
    where = "batchnorm_relu_backward"
    bn_cache, out = of_kind(cache, BatchNormReluCache, "batchnorm_relu_forward", where)
    bn_cache = _cache(bn_cache, where)
    out = contiguous(array_field(out, "out", where, dtype=bn_cache.x3.dtype, shape=bn_cache.x_shape))
    return _backward(dout, bn_cache, out, where)


def batchnorm_add_relu_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The backward pass of ``batchnorm_add_relu_forward``: (dx, dresidual, dgamma, dbeta), dresidual being
    dout where out > 0, else 0 (``add_relu_backward``'s), and (dx, dgamma, dbeta) ``batchnorm_backward``'s
    of dresidual."""
    where = "batchnorm_add_relu_backward"
    bn_cache, out = of_kind(cache, BatchNormReluCache, "batchnorm_add_relu_forward", where)
    bn_cache = _cache(bn_cache, where)
    out = array_field(out, "out", where, dtype=bn_cache.x3.dtype, shape=bn_cache.x_shape)
    dresidual = relu_gate(dout, out, "batchnorm_add_relu_forward", where)
    dx, dgamma, dbeta = _backward(dresidual, bn_cache, None, where)
    return dx, dresidual, dgamma, dbeta


def _backward(dout, cache: BatchNormCache, relu_out: np.ndarray | None, where: str):
    """batchnorm_backward of a checked cache; with ``relu_out`` (a fused ReLU's output), dout passes only
    where relu_out > 0: with batch statistics inside the kernel, which recomputes the ReLU's input from x,
    gamma and beta exactly as the forward pass computed it (reading x, not relu_out), in eval mode before
    it."""
    x3, mean, inv_std, gamma, beta, batch_stats, x_shape = cache
    dout = float_array(dout, "dout", where, x3.dtype)
    check_shape(dout, x_shape, "dout", where)
    dout3 = contiguous(dout.reshape(x3.shape))  # (N, C, L)
    relu_beta = None  # with batch statistics the kernel recomputes the ReLU's gate from x, gamma and beta
    if relu_out is not None:
        if batch_stats:
            relu_beta = beta
        else:
            dout3 = relu_backward(dout3, relu_out.reshape(x3.shape))
    C = x3.shape[1]
    dx = workspace.empty_like(x3)
    dgamma = np.empty(C, dtype=x3.dtype)
    dbeta = np.empty(C, dtype=x3.dtype)
    n_threads = get_num_threads()
    _kernels.batchnorm_backward(
        dout3, x3, mean, inv_std, gamma, dx, dgamma, dbeta, batch_stats, relu_beta, n_threads
    )
    return dx.reshape(x_shape), dgamma, dbeta


def _cache(cache, where: str) -> BatchNormCache:
    """``cache`` checked: a ``BatchNormCache`` whose x3 (N, C, L), statistics (C,) and x_shape agree."""
    x3, mean, inv_std, gamma, beta, batch_stats, x_shape = of_kind(
        cache, BatchNormCache, "batchnorm_forward", where
    )
    x3 = contiguous(array_field(float_field(x3, "x3", where), "x3", where, ndim=3))
    C = x3.shape[1]
    mean = contiguous(array_field(mean, "mean", where, dtype=np.float64, shape=(C,)))
    inv_std = contiguous(array_field(inv_std, "inv_std", where, dtype=np.float64, shape=(C,)))
    gamma = contiguous(array_field(gamma, "gamma", where, dtype=x3.dtype, shape=(C,)))
    beta = contiguous(array_field(beta, "beta", where, dtype=x3.dtype, shape=(C,)))
    x_shape = shape_field(x_shape, "x_shape", where)
    if len(x_shape) not in (2, 4) or (x_shape[0], x_shape[1], math.prod(x_shape[2:])) != x3.shape:
        raise ValueError(
            f"{where}: cache.x_shape must be x3's shape {x3.shape} unflattened. "
            f"Received: cache.x_shape={x_shape}"
        )
    if not isinstance(batch_stats, (bool, np.bool_)):
        raise TypeError(f"{where}: cache.batch_stats must be a bool. Received: {batch_stats!r}")
    return BatchNormCache(x3, mean, inv_std, gamma, beta, bool(batch_stats), x_shape)
