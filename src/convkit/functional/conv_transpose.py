"""Transposed 2-D convolution (torch.nn.functional.conv_transpose2d), NCHW input, weights (C, F // groups,
KH, KW) as torch. It is the adjoint of conv2d: its forward is conv2d's input gradient (starting from the
bias) and its backward is conv2d's forward (dx) and weight gradient (dw), run by the same kernels and the
same plan (``_native/conv_plan.pxi``), with x and out in conv2d's roles of dout and x."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .. import _workspace as workspace
from .._threads import get_num_threads
from .._validation import check_ndim, check_shape, contiguous, float_array, int_pair, positive_int
from ._caches import ConvTransposeCache, array_field, float_field, of_kind
from .conv import _geometry, _grouped


def conv_transpose_output_size(
    size: int, kernel: int, stride: int, padding: int, output_padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a transposed convolution along one axis (torch's formula)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def conv_transpose2d_forward(
    x, w, b, stride=1, padding=0, output_padding=0, dilation=1, groups=1
) -> tuple[np.ndarray, ConvTransposeCache]:
    """Transposed 2-D convolution forward pass.

    Inputs:
    - x: (N, C, H, W)
    - w: (C, F // groups, KH, KW)
    - b: (F,)
    - stride: int or (sh, sw), >= 1
    - padding: int or (ph, pw), >= 0: dilation*(K - 1) - p zeros around x in the equivalent convolution
    - output_padding: int or (oph, opw), each smaller than its stride or its dilation (torch's rule):
      rows/columns added below and right of the output
    - dilation: int or (dh, dw), >= 1
    - groups: C and F split into this many groups

    Returns (out, cache) with out (N, F, OH, OW), OH = (H - 1)*sh - 2*ph + dh*(KH - 1) + oph + 1, OW likewise.
    """
    where = "conv_transpose2d_forward"
    x = float_array(x, "x", where)
    w = float_array(w, "w", where, x.dtype)
    b = float_array(b, "b", where, x.dtype)
    check_ndim(x, (4,), "x", where, "(N, C, H, W)")
    check_ndim(w, (4,), "w", where, "(C, F // groups, KH, KW)")
    stride = int_pair(stride, "stride", where, minimum=1)
    padding = int_pair(padding, "padding", where, minimum=0)
    output_padding = int_pair(output_padding, "output_padding", where, minimum=0)
    dilation = int_pair(dilation, "dilation", where, minimum=1)
    groups = positive_int(groups, "groups", where)
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(
            f"{where}: output_padding must be smaller than stride or dilation. Received: "
            f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
        )
    N, C, H, W = x.shape
    F = w.shape[1] * groups
    if w.shape[0] != C or C % groups or min(C, F) < 1:
        raise ValueError(
            f"{where}: w must have C={C} rows to match x, C and F = w.shape[1] * groups at least 1 and C "
            f"divisible by groups. Received: x.shape={x.shape}, w.shape={w.shape}, groups={groups}"
        )
    out_size = tuple(
        conv_transpose_output_size(n, k, s, p, op, d)
        for n, k, s, p, op, d in zip((H, W), w.shape[2:], stride, padding, output_padding, dilation)
    )
    if min(out_size) < 1:
        raise ValueError(
            f"{where}: the output would be empty {out_size}. "
            f"Received: x.shape={x.shape}, w.shape={w.shape}, padding={padding}"
        )
    check_shape(b, (F,), "b", where)
    _geometry(
        (N, F, *out_size), w.shape, stride, padding, dilation, groups, where
    )  # the sizes the kernels take
    x = _extended(contiguous(x), out_size, w.shape, stride, padding, dilation)
    cache = ConvTransposeCache(x, contiguous(w), stride, padding, dilation, groups, out_size, (H, W))
    out = workspace.empty((N, F, *out_size), x.dtype)  # (N, F, OH, OW)
    _grouped(
        "input_grad",
        groups,
        F,
        ((cache.x, 1, False), (cache.w, 0, False), (contiguous(b), 0, False), (out, 1, True)),
        *stride,
        *padding,
        *dilation,
        get_num_threads(),
    )
    return out, cache


def _extended(x: np.ndarray, out_size, w_shape, stride, padding, dilation) -> np.ndarray:
    """x with zero rows/columns appended up to what conv2d of an (OH, OW) output gives (more than H only
    when output_padding >= stride): conv2d's kernels then see a consistent (out, x) pair."""
    H, W = (
        (o + 2 * p - d * (k - 1) - 1) // s + 1
        for o, k, s, p, d in zip(out_size, w_shape[2:], stride, padding, dilation)
    )
    if (H, W) == x.shape[2:]:
        return x
    return np.pad(x, ((0, 0), (0, 0), (0, H - x.shape[2]), (0, W - x.shape[3])))  # (N, C, H', W')


def _checked(cache, where: str) -> ConvTransposeCache:
    """``cache`` checked: x, w and out_size agree as conv2d's geometry of an (N, F, OH, OW) input with w
    gives x's shape, and ``in_size`` fits in x."""
    x, w, stride, padding, dilation, groups, out_size, in_size = of_kind(
        cache, ConvTransposeCache, "conv_transpose2d_forward", where
    )
    x = array_field(float_field(x, "x", where), "x", where, ndim=4)
    w = array_field(w, "w", where, dtype=x.dtype, ndim=4)
    out_size = int_pair(out_size, "cache.out_size", where, minimum=1)
    in_size = int_pair(in_size, "cache.in_size", where, minimum=1)
    if w.shape[0] != x.shape[1]:
        raise ValueError(
            f"{where}: cache.w must have one row per channel of cache.x. Received: "
            f"cache.x.shape={x.shape}, cache.w.shape={w.shape}"
        )
    groups = positive_int(groups, "cache.groups", where)
    out_shape = (x.shape[0], w.shape[1] * groups, *out_size)
    stride, padding, dilation, groups, x_shape = _geometry(
        out_shape, w.shape, stride, padding, dilation, groups, where, "cache."
    )
    if x_shape != x.shape or in_size[0] > x.shape[2] or in_size[1] > x.shape[3]:
        raise ValueError(
            f"{where}: cache.x, cache.w and cache.out_size must fit together. "
            f"Received: cache.x.shape={x.shape}, cache.w.shape={w.shape}, cache.out_size={out_size}, "
            f"cache.in_size={in_size}"
        )
    return ConvTransposeCache(
        contiguous(x), contiguous(w), stride, padding, dilation, groups, out_size, in_size
    )


def _upstream(dout, cache: ConvTransposeCache, where: str) -> np.ndarray:
    dout = float_array(dout, "dout", where, cache.x.dtype)
    check_shape(dout, (cache.x.shape[0], cache.w.shape[1] * cache.groups, *cache.out_size), "dout", where)
    return contiguous(dout)


def conv_transpose2d_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Transposed 2-D convolution backward pass.

    Inputs:
    - dout: (N, F, OH, OW) upstream gradient
    - cache: from conv_transpose2d_forward

    Returns (dx, dw, db) with dx (N, C, H, W), dw (C, F // groups, KH, KW), db (F,).
    """
    cache = _checked(cache, "conv_transpose2d_backward")
    dout = _upstream(dout, cache, "conv_transpose2d_backward")
    return (_input_gradient(dout, cache), *_weight_gradients(dout, cache))


def conv_transpose2d_backward_input(dout, cache) -> np.ndarray:
    """The input half of ``conv_transpose2d_backward``: dx (N, C, H, W), for a frozen layer."""
    cache = _checked(cache, "conv_transpose2d_backward_input")
    return _input_gradient(_upstream(dout, cache, "conv_transpose2d_backward_input"), cache)


def conv_transpose2d_backward_weights(dout, cache) -> tuple[np.ndarray, np.ndarray]:
    """The parameter half of ``conv_transpose2d_backward``: (dw, db), for a network's first layer."""
    cache = _checked(cache, "conv_transpose2d_backward_weights")
    return _weight_gradients(_upstream(dout, cache, "conv_transpose2d_backward_weights"), cache)


def _input_gradient(dout: np.ndarray, cache: ConvTransposeCache) -> np.ndarray:
    """conv2d of dout with w (no bias), cropped to x's own size."""
    x, w, stride, padding, dilation, groups, _, (H, W) = cache
    dx = workspace.empty_like(x)  # (N, C, H', W')
    _grouped(
        "forward",
        groups,
        dout.shape[1],
        ((dout, 1, False), (w, 0, False), (np.zeros(w.shape[0], x.dtype), 0, False), (dx, 1, True)),
        *stride,
        *padding,
        *dilation,
        False,
        get_num_threads(),
    )
    if (H, W) != x.shape[2:]:
        dx = np.ascontiguousarray(dx[:, :, :H, :W])  # (N, C, H, W)
    return dx


def _weight_gradients(dout: np.ndarray, cache: ConvTransposeCache) -> tuple[np.ndarray, np.ndarray]:
    """dw: conv2d's weight gradient of input dout and upstream x; db: dout summed over (N, OH, OW)."""
    x, w, stride, padding, dilation, groups, _, _ = cache
    dw = np.empty_like(w)  # (C, F // groups, KH, KW)
    dx_sum = np.empty(w.shape[0], dtype=w.dtype)  # (C,) conv2d's db, not a gradient here
    _grouped(
        "weight_grad",
        groups,
        dout.shape[1],
        ((dout, 1, False), (x, 1, False), (dw, 0, True), (dx_sum, 0, True)),
        *stride,
        *padding,
        *dilation,
        get_num_threads(),
    )
    db = np.zeros(dout.shape[1], dtype=np.float64)  # (F,) summed in double
    if dout.size:
        _kernels.channel_sums(dout.reshape(dout.shape[0], dout.shape[1], -1), db, get_num_threads())
    return dw, db.astype(dout.dtype)
