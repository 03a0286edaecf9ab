"""Layer and group normalization (torch.nn.LayerNorm over every non-batch axis, torch.nn.GroupNorm), with
affine parameters, compiled: the rows of x (a sample, or a group of one sample) are normalized in parallel,
each by its own statistics in double; dweight and dbias are reduced over the samples in a fixed order."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .. import _workspace as workspace
from .._threads import get_num_threads
from .._validation import check_shape, contiguous, float_array, positive_float, positive_int
from ._caches import array_field, float_field, of_kind, shape_field
from ._caches_extra import GroupNormCache, LayerNormCache


def _samples(x, where: str, layout: str) -> np.ndarray:
    x = float_array(x, "x", where)
    if x.ndim < 2 or np.prod(x.shape[1:]) == 0:
        raise ValueError(
            f"{where}: x must be {layout} with at least one element per sample. Received: x.shape={x.shape}"
        )
    return x


def _affine(
    weight, bias, shape: tuple[int, ...], dtype: np.dtype, where: str
) -> tuple[np.ndarray, np.ndarray]:
    weight = float_array(weight, "weight", where, dtype)
    bias = float_array(bias, "bias", where, dtype)
    check_shape(weight, shape, "weight", where)
    check_shape(bias, shape, "bias", where)
    return contiguous(weight.reshape(-1)), contiguous(bias.reshape(-1))


def _normalize(rows: np.ndarray, weight, bias, groups: int, positions: int, eps: float):
    """(out, mean, inv_std) of the rows (R, D) through the compiled kernel."""
    out = workspace.empty_like(rows)
    mean, inv_std = np.empty(len(rows)), np.empty(len(rows))
    _kernels.rownorm_forward(
        rows, weight, bias, groups, positions, eps, out, mean, inv_std, get_num_threads()
    )
    return out, mean, inv_std


def _rows_cache(cache, kind: type, forward: str, where: str, groups_of) -> tuple:
    """The checked fields of a layer/group norm cache: rows (R, D), mean and inv_std (R,), weight (P,),
    x_shape, and the groups G and positions L of the rows."""
    x, mean, inv_std, weight, x_shape = of_kind(cache, kind, forward, where)
    x = array_field(float_field(x, "x", where), "x", where, ndim=2)
    x_shape = shape_field(x_shape, "x_shape", where)
    weight = array_field(weight, "weight", where, dtype=x.dtype, ndim=1)
    groups, positions = groups_of(x, weight, x_shape)
    R = len(x)
    mean = array_field(mean, "mean", where, dtype=np.float64, shape=(R,))
    inv_std = array_field(inv_std, "inv_std", where, dtype=np.float64, shape=(R,))
    return (
        contiguous(x),
        contiguous(mean),
        contiguous(inv_std),
        contiguous(weight),
        x_shape,
        groups,
        positions,
    )


def _rows_backward(dout, rows, mean, inv_std, weight, x_shape, groups: int, positions: int, where: str):
    dout = float_array(dout, "dout", where, rows.dtype)
    check_shape(dout, x_shape, "dout", where)
    dx = workspace.empty_like(rows)
    dweight, dbias = np.empty(len(weight)), np.empty(len(weight))
    _kernels.rownorm_backward(
        contiguous(dout).reshape(rows.shape),
        rows,
        mean,
        inv_std,
        weight,
        groups,
        positions,
        dx,
        dweight,
        dbias,
        get_num_threads(),
    )
    return dx.reshape(x_shape), dweight.astype(rows.dtype), dbias.astype(rows.dtype)


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
    x = _samples(x, where, "(N, d1, ..., dk)")
    weight, bias = _affine(weight, bias, x.shape[1:], x.dtype, where)
    eps = positive_float(eps, "eps", where)
    rows = contiguous(x.reshape(len(x), -1))  # (N, D)
    out, mean, inv_std = _normalize(rows, weight, bias, 1, 1, eps)
    return out.reshape(x.shape), LayerNormCache(rows, mean, inv_std, weight, x.shape)


def _layernorm_layout(rows: np.ndarray, weight: np.ndarray, x_shape: tuple) -> tuple[int, int]:
    if (
        len(x_shape) < 2
        or rows.shape != (x_shape[0], int(np.prod(x_shape[1:])))
        or len(weight) != rows.shape[1]
    ):
        raise ValueError(
            f"layernorm_backward: cache.x (N, D) and cache.weight (D,) do not fit cache.x_shape={x_shape}. "
            f"Received: cache.x.shape={rows.shape}, cache.weight.shape={weight.shape}"
        )
    return 1, 1


def layernorm_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layer normalization backward: dout of x's shape -> (dx, dweight, dbias), the last two of weight's
    shape."""
    where = "layernorm_backward"
    fields = _rows_cache(cache, LayerNormCache, "layernorm_forward", where, _layernorm_layout)
    dx, dweight, dbias = _rows_backward(dout, *fields, where)
    x_shape = fields[4]
    return dx, dweight.reshape(x_shape[1:]), dbias.reshape(x_shape[1:])


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
    x = _samples(x, where, "(N, C, ...)")
    num_groups = positive_int(num_groups, "num_groups", where)
    N, C = x.shape[:2]
    if C % num_groups:
        raise ValueError(
            f"{where}: num_groups must divide the channels C={C}. Received: num_groups={num_groups}"
        )
    weight, bias = _affine(weight, bias, (C,), x.dtype, where)
    eps = positive_float(eps, "eps", where)
    L = int(np.prod(x.shape[2:]))
    rows = contiguous(x.reshape(N * num_groups, C // num_groups * L))  # (N*G, C//G * L)
    out, mean, inv_std = _normalize(rows, weight, bias, num_groups, L, eps)
    return out.reshape(x.shape), GroupNormCache(rows, mean, inv_std, weight, x.shape)


def _groupnorm_layout(rows: np.ndarray, weight: np.ndarray, x_shape: tuple) -> tuple[int, int]:
    """(G, L) of the rows: G = N*G / N groups, L = the positions of each channel."""
    N = x_shape[0] if x_shape else 0
    C = x_shape[1] if len(x_shape) > 1 else 0
    L = int(np.prod(x_shape[2:]))
    G = C * L // rows.shape[1] if rows.shape[1] else 0
    if C < 1 or G < 1 or C % G or len(weight) != C or rows.shape != (N * G, C // G * L):
        raise ValueError(
            f"groupnorm_backward: cache.x (N * G, C // G * L) and cache.weight (C,) do not fit "
            f"cache.x_shape={x_shape}. Received: cache.x.shape={rows.shape}, "
            f"cache.weight.shape={weight.shape}"
        )
    return G, L


def groupnorm_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group normalization backward: dout of x's shape -> (dx, dweight (C,), dbias (C,))."""
    where = "groupnorm_backward"
    fields = _rows_cache(cache, GroupNormCache, "groupnorm_forward", where, _groupnorm_layout)
    return _rows_backward(dout, *fields, where)
