"""Layer and group normalization (torch.nn.LayerNorm over every non-batch axis, torch.nn.GroupNorm), with
affine parameters; vectorised NumPy, the statistics of each sample (or group) in one reduction."""

from __future__ import annotations

import numpy as np

from .._validation import check_shape, float_array, positive_float, positive_int
from ._caches import array_field, float_field, of_kind, shape_field
from ._caches_extra import GroupNormCache, LayerNormCache


def _normalize_rows(rows: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """(x_hat, inv_std) of each row of ``rows`` (..., D): mean 0 and biased variance 1 over the last axis."""
    mean = rows.mean(axis=-1, keepdims=True)
    centered = rows - mean
    var = (centered * centered).mean(axis=-1, keepdims=True)  # biased, as torch
    inv_std = 1 / np.sqrt(var + rows.dtype.type(eps))
    return centered * inv_std, inv_std


def _rows_backward(dx_hat: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray) -> np.ndarray:
    """The gradient through (x - mean) * inv_std of each row, from the gradient w.r.t. x_hat."""
    mean_dx_hat = dx_hat.mean(axis=-1, keepdims=True)
    mean_dx_hat_x_hat = (dx_hat * x_hat).mean(axis=-1, keepdims=True)
    return inv_std * (dx_hat - mean_dx_hat - x_hat * mean_dx_hat_x_hat)


def layernorm_forward(x, weight, bias, eps: float = 1e-5) -> tuple[np.ndarray, LayerNormCache]:
    """Layer normalization over every non-batch axis (torch.nn.LayerNorm(x.shape[1:])).

    Inputs:
    - x: (N, d1, ..., dk), k >= 1
    - weight, bias: (d1, ..., dk), the affine parameters
    - eps: added to the variance (torch's default 1e-5)

    Returns (out, cache) with out of x's shape: (x - mean) / sqrt(var + eps) * weight + bias, the mean and
    biased variance of each sample.
    """
    where = "layernorm_forward"
    x = float_array(x, "x", where)
    if x.ndim < 2 or np.prod(x.shape[1:]) == 0:
        raise ValueError(
            f"{where}: x must be (N, d1, ..., dk) with at least one element per sample. "
            f"Received: x.shape={x.shape}"
        )
    weight = float_array(weight, "weight", where, x.dtype)
    bias = float_array(bias, "bias", where, x.dtype)
    check_shape(weight, x.shape[1:], "weight", where)
    check_shape(bias, x.shape[1:], "bias", where)
    eps = positive_float(eps, "eps", where)
    N = len(x)
    x_hat, inv_std = _normalize_rows(x.reshape(N, int(np.prod(x.shape[1:]))), eps)  # (N, D), (N, 1)
    out = x_hat * weight.reshape(-1) + bias.reshape(-1)  # (N, D)
    return out.reshape(x.shape), LayerNormCache(x_hat, inv_std, weight.reshape(-1), x.shape)


def layernorm_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layer normalization backward: dout of x's shape -> (dx, dweight, dbias), the last two of weight's
    shape."""
    where = "layernorm_backward"
    x_hat, inv_std, weight, x_shape = of_kind(cache, LayerNormCache, "layernorm_forward", where)
    x_hat = float_field(x_hat, "x_hat", where)
    x_shape = shape_field(x_shape, "x_shape", where)
    if len(x_shape) < 2 or x_hat.shape != (x_shape[0], int(np.prod(x_shape[1:]))):
        raise ValueError(
            f"{where}: cache.x_hat must be (N, D) for cache.x_shape={x_shape}. "
            f"Received: cache.x_hat.shape={x_hat.shape}"
        )
    inv_std = array_field(inv_std, "inv_std", where, dtype=x_hat.dtype, shape=(x_shape[0], 1))
    weight = array_field(weight, "weight", where, dtype=x_hat.dtype, shape=(x_hat.shape[1],))
    dout = float_array(dout, "dout", where, x_hat.dtype)
    check_shape(dout, x_shape, "dout", where)
    dout2 = dout.reshape(x_hat.shape)  # (N, D)
    dx = _rows_backward(dout2 * weight, x_hat, inv_std)  # (N, D)
    dweight = (dout2 * x_hat).sum(axis=0).reshape(x_shape[1:])
    dbias = dout2.sum(axis=0).reshape(x_shape[1:])
    return dx.reshape(x_shape), dweight, dbias


def groupnorm_forward(
    x, weight, bias, num_groups: int, eps: float = 1e-5
) -> tuple[np.ndarray, GroupNormCache]:
    """Group normalization (torch.nn.GroupNorm(num_groups, C)): the channels split into ``num_groups``
    groups of C // num_groups, each normalized over its channels and spatial positions, per sample.

    Inputs:
    - x: (N, C, ...) with C divisible by num_groups
    - weight, bias: (C,), the per-channel affine parameters
    - eps: added to the variance (torch's default 1e-5)

    Returns (out, cache) with out of x's shape.
    """
    where = "groupnorm_forward"
    x = float_array(x, "x", where)
    if x.ndim < 2 or np.prod(x.shape[1:]) == 0:
        raise ValueError(
            f"{where}: x must be (N, C, ...) with at least one element per sample. "
            f"Received: x.shape={x.shape}"
        )
    num_groups = positive_int(num_groups, "num_groups", where)
    C = x.shape[1]
    if C % num_groups:
        raise ValueError(
            f"{where}: num_groups must divide the channels C={C}. Received: num_groups={num_groups}"
        )
    weight = float_array(weight, "weight", where, x.dtype)
    bias = float_array(bias, "bias", where, x.dtype)
    check_shape(weight, (C,), "weight", where)
    check_shape(bias, (C,), "bias", where)
    eps = positive_float(eps, "eps", where)
    N, L = len(x), int(np.prod(x.shape[2:]))
    x_hat, inv_std = _normalize_rows(
        x.reshape(N, num_groups, C // num_groups * L), eps
    )  # (N, G, C//G * L), (N, G, 1)
    out = x_hat.reshape(N, C, L) * weight[:, None] + bias[:, None]  # (N, C, L)
    return out.reshape(x.shape), GroupNormCache(x_hat, inv_std, weight, x.shape)


def groupnorm_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group normalization backward: dout of x's shape -> (dx, dweight (C,), dbias (C,))."""
    where = "groupnorm_backward"
    x_hat, inv_std, weight, x_shape = of_kind(cache, GroupNormCache, "groupnorm_forward", where)
    x_hat = array_field(float_field(x_hat, "x_hat", where), "x_hat", where, ndim=3)
    x_shape = shape_field(x_shape, "x_shape", where)
    N, G, group_size = x_hat.shape
    if (
        len(x_shape) < 2
        or G < 1
        or x_shape[1] < 1
        or x_shape[0] != N
        or x_shape[1] % G
        or G * group_size != np.prod(x_shape[1:])
    ):
        raise ValueError(
            f"{where}: cache.x_hat (N, G, C // G * L) does not fit cache.x_shape={x_shape}. "
            f"Received: cache.x_hat.shape={x_hat.shape}"
        )
    C = x_shape[1]
    inv_std = array_field(inv_std, "inv_std", where, dtype=x_hat.dtype, shape=(N, G, 1))
    weight = array_field(weight, "weight", where, dtype=x_hat.dtype, shape=(C,))
    dout = float_array(dout, "dout", where, x_hat.dtype)
    check_shape(dout, x_shape, "dout", where)
    L = group_size * G // C
    dout3 = dout.reshape(N, C, L)  # (N, C, L)
    dx_hat = (dout3 * weight[:, None]).reshape(x_hat.shape)  # (N, G, C//G * L)
    dx = _rows_backward(dx_hat, x_hat, inv_std)
    dweight = (dout3 * x_hat.reshape(N, C, L)).sum(axis=(0, 2))  # (C,)
    dbias = dout3.sum(axis=(0, 2))  # (C,)
    return dx.reshape(x_shape), dweight, dbias
