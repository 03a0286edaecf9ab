"""Max and average pooling over (N, C, H, W); windows that do not fit are dropped (floor), or with
``ceil_mode`` kept where they start inside the input or its left padding, as torch; ``padding`` pads with
-inf (max) or zeros (average; ``count_include_pad`` as torch) through a padded copy.
Global average (max) pooling averages (takes the max of) each channel over all of H and W; adaptive average
pooling averages windows that tile H and W into a given output size."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .. import _workspace as workspace
from .._threads import get_num_threads
from .._validation import check_ndim, check_shape, contiguous, flag, float_array, int_pair
from ._caches import (
    AvgPoolCache,
    GlobalAvgPoolCache,
    MaxPoolCache,
    array_field,
    dtype_field,
    of_kind,
    shape_field,
)
from ._caches_extra import AdaptiveAvgPoolCache, GlobalMaxPoolCache, PaddedPoolCache
from .conv import conv_output_size


def _pool_geometry(x, pool_size, stride, where: str):
    x = float_array(x, "x", where)
    check_ndim(x, (4,), "x", where, "(N, C, H, W)")
    ph, pw = int_pair(pool_size, "pool_size", where, minimum=1)
    sh, sw = (ph, pw) if stride is None else int_pair(stride, "stride", where, minimum=1)
    N, C, H, W = x.shape
    if ph > H or pw > W:
        raise ValueError(
            f"{where}: the pool window ({ph}, {pw}) must fit in the input ({H}, {W}). "
            f"Received: x.shape={x.shape}, pool_size={pool_size!r}"
        )
    out_shape = (N, C, conv_output_size(H, ph, sh, 0), conv_output_size(W, pw, sw, 0))
    return contiguous(x), (ph, pw), (sh, sw), out_shape


def _is_2x2(ph: int, pw: int, sh: int, sw: int) -> bool:
    """2x2 windows with stride 2, the usual case, have their own vectorised kernels (tests can turn them
    off with _FAST_2X2 = False to run the generic ones)."""
    return _FAST_2X2 and (ph, pw, sh, sw) == (2, 2, 2, 2)


_FAST_2X2 = True


def _upstream(dout, dtype: np.dtype, out_shape: tuple, where: str) -> np.ndarray:
    dout = float_array(dout, "dout", where, dtype)
    check_shape(dout, out_shape, "dout", where)
    return contiguous(dout)


def maxpool2d_forward(
    x, pool_size=2, stride=None, padding=0, ceil_mode: bool = False
) -> tuple[np.ndarray, tuple]:
    """Max pooling forward pass (torch.nn.functional.max_pool2d).

    Inputs:
    - x: (N, C, H, W)
    - pool_size: int or (ph, pw)
    - stride: int or (sh, sw); None means stride = pool_size
    - padding: int or (pad_h, pad_w), at most half the window: -inf around x
    - ceil_mode: round the output size up (a last, partial window where it starts inside the input or
      the left padding), as torch

    Returns (out, cache) with out (N, C, OH, OW), OH = (H + 2 * pad_h - ph) // sh + 1 (rounded up with
    ceil_mode).
    """
    if _is_padded(padding, ceil_mode, "maxpool2d_forward"):
        return _padded_pool(x, pool_size, stride, padding, ceil_mode, None, "maxpool2d_forward")
    x, (ph, pw), (sh, sw), out_shape = _pool_geometry(x, pool_size, stride, "maxpool2d_forward")
    out = workspace.empty(out_shape, x.dtype)
    if _is_2x2(ph, pw, sh, sw):
        # the winner's place in its 2x2 window, 0..3, in an unsigned int as wide as x's floats
        argmax = workspace.empty(out_shape, np.uint32 if x.dtype == np.float32 else np.uint64)
        _kernels.maxpool2x2_forward(x, out, argmax, get_num_threads())
    else:
        argmax = workspace.empty(out_shape, np.int64)  # flat index h*W + w of each window's max
        _kernels.maxpool2d_forward(x, out, argmax, ph, pw, sh, sw, get_num_threads())
    return out, MaxPoolCache(argmax, x.shape, x.dtype)


def _maxpool_cache(cache, where: str) -> MaxPoolCache:
    """``cache`` checked: a ``MaxPoolCache`` whose argmax (N, C, OH, OW) fits x_shape (and, for the general
    kernel, only points inside it)."""
    argmax, x_shape, dtype = of_kind(cache, MaxPoolCache, "maxpool2d_forward", where)
    x_shape, dtype = shape_field(x_shape, "x_shape", where, ndim=4), dtype_field(dtype, where)
    N, C, H, W = x_shape
    winner = np.uint32 if dtype == np.float32 else np.uint64  # the 2x2 kernels' place in the window
    argmax = array_field(argmax, "argmax", where, dtype=(winner, np.int64), ndim=4)
    two_by_two = argmax.dtype == winner
    if argmax.shape[:2] != (N, C) or (two_by_two and argmax.shape != (N, C, H // 2, W // 2)):
        raise ValueError(
            f"{where}: cache.argmax's shape does not fit cache.x_shape={x_shape}. "
            f"Received: cache.argmax.shape={argmax.shape}"
        )
    # the 2x2 kernel routes by comparing with 0-3 (a larger value routes nothing): only the general
    # kernel's flat indices h*W + w need a bounds check before they address dx
    if not two_by_two and argmax.size and (argmax.max() >= H * W or argmax.min() < 0):
        raise ValueError(f"{where}: cache.argmax points outside the input {x_shape}")
    return MaxPoolCache(contiguous(argmax), x_shape, dtype)


def maxpool2d_backward(dout, cache) -> np.ndarray:
    """Max pooling backward pass: dout (N, C, OH, OW) -> dx (N, C, H, W)."""
    if isinstance(cache, PaddedPoolCache):
        return _padded_pool_backward(dout, cache, MaxPoolCache, maxpool2d_backward, "maxpool2d_backward")
    argmax, x_shape, dtype = _maxpool_cache(cache, "maxpool2d_backward")
    dout = _upstream(dout, dtype, argmax.shape, "maxpool2d_backward")
    if argmax.dtype.kind == "u":  # 2x2 windows, stride 2: every element of dx is written
        dx = workspace.empty(x_shape, dtype)
        _kernels.maxpool2x2_backward(dout, argmax, dx, get_num_threads())
    else:
        dx = workspace.zeros(x_shape, dtype)
        _kernels.maxpool2d_backward(dout, argmax, dx, get_num_threads())
    return dx


def avgpool2d_forward(
    x, pool_size=2, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True
) -> tuple[np.ndarray, tuple]:
    """Average pooling forward pass (torch.nn.functional.avg_pool2d).

    Inputs:
    - x: (N, C, H, W)
    - pool_size: int or (ph, pw)
    - stride: int or (sh, sw); None means stride = pool_size
    - padding, ceil_mode: as ``maxpool2d_forward`` (zeros around x)
    - count_include_pad: divide by the window's size within the padded input (True, torch's default) or
      by its number of elements of x

    Returns (out, cache) with out (N, C, OH, OW).
    """
    count_include_pad = flag(count_include_pad, "count_include_pad", "avgpool2d_forward")
    if _is_padded(padding, ceil_mode, "avgpool2d_forward"):
        return _padded_pool(x, pool_size, stride, padding, ceil_mode, count_include_pad, "avgpool2d_forward")
    x, (ph, pw), (sh, sw), out_shape = _pool_geometry(x, pool_size, stride, "avgpool2d_forward")
    out = workspace.empty(out_shape, x.dtype)
    if _is_2x2(ph, pw, sh, sw):
        _kernels.avgpool2x2_forward(x, out, get_num_threads())
    else:
        _kernels.avgpool2d_forward(x, out, ph, pw, sh, sw, get_num_threads())
    return out, AvgPoolCache((ph, pw), (sh, sw), out_shape, x.shape, x.dtype)


def _avgpool_cache(cache, where: str) -> AvgPoolCache:
    """``cache`` checked: an ``AvgPoolCache`` whose windows, strides and shapes agree."""
    pool_size, stride, out_shape, x_shape, dtype = of_kind(cache, AvgPoolCache, "avgpool2d_forward", where)
    x_shape, dtype = shape_field(x_shape, "x_shape", where, ndim=4), dtype_field(dtype, where)
    N, C, H, W = x_shape
    ph, pw = int_pair(pool_size, "cache.pool_size", where, minimum=1)
    sh, sw = int_pair(stride, "cache.stride", where, minimum=1)
    if (
        ph > H
        or pw > W
        or shape_field(out_shape, "out_shape", where, ndim=4)
        != (N, C, conv_output_size(H, ph, sh, 0), conv_output_size(W, pw, sw, 0))
    ):
        raise ValueError(
            f"{where}: cache's windows and shapes disagree. Received: cache.pool_size={pool_size!r}, "
            f"cache.stride={stride!r}, cache.out_shape={out_shape!r}, cache.x_shape={x_shape}"
        )
    return AvgPoolCache((ph, pw), (sh, sw), tuple(out_shape), x_shape, dtype)


def avgpool2d_backward(dout, cache) -> np.ndarray:
    """Average pooling backward pass: dout (N, C, OH, OW) -> dx (N, C, H, W)."""
    if isinstance(cache, PaddedPoolCache):
        return _padded_pool_backward(dout, cache, AvgPoolCache, avgpool2d_backward, "avgpool2d_backward")
    (ph, pw), (sh, sw), out_shape, x_shape, dtype = _avgpool_cache(cache, "avgpool2d_backward")
    dout = _upstream(dout, dtype, out_shape, "avgpool2d_backward")
    if _is_2x2(ph, pw, sh, sw):  # every element of dx is written
        dx = workspace.empty(x_shape, dtype)
        _kernels.avgpool2x2_backward(dout, dx, get_num_threads())
    else:
        dx = workspace.zeros(x_shape, dtype)
        _kernels.avgpool2d_backward(dout, dx, ph, pw, sh, sw, get_num_threads())
    return dx


def _is_padded(padding, ceil_mode, where: str) -> bool:
    """Whether padding or ceil_mode is asked for (else the unpadded kernels run on x itself)."""
    pad = int_pair(padding, "padding", where, minimum=0)
    return pad != (0, 0) or flag(ceil_mode, "ceil_mode", where)


def pooled_size(size: int, window: int, stride: int, pad: int, ceil_mode: bool) -> int:
    """torch's pooled length: (size + 2 * pad - window) / stride + 1, floored or (ceil_mode) rounded up
    where the last window still starts inside the input or its left padding."""
    span = size + 2 * pad - window
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _window_divisors(
    size: int, window: int, stride: int, pad: int, out: int, include_pad: bool
) -> np.ndarray:
    """(out,): the divisor of each window along one axis, torch's avg_pool2d rule: the window clipped to the
    padded input (include_pad) or to the input itself."""
    start = np.arange(out) * stride - pad
    end = np.minimum(start + window, size + pad)
    if not include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, size)
    return end - start


def _padded_pool(x, pool_size, stride, padding, ceil_mode, count_include_pad, where: str):
    """Max (count_include_pad None) or average pooling with padding/ceil_mode: the unpadded kernels on a
    copy of x padded with -inf (max) or zeros (average), extended so that ceil_mode's last windows fit."""
    x = float_array(x, "x", where)
    check_ndim(x, (4,), "x", where, "(N, C, H, W)")
    ph, pw = int_pair(pool_size, "pool_size", where, minimum=1)
    sh, sw = (ph, pw) if stride is None else int_pair(stride, "stride", where, minimum=1)
    pad_h, pad_w = int_pair(padding, "padding", where, minimum=0)
    if pad_h > ph // 2 or pad_w > pw // 2:
        raise ValueError(
            f"{where}: padding must be at most half the pool window ({ph}, {pw}). "
            f"Received: padding={padding!r}"
        )
    N, C, H, W = x.shape
    OH, OW = pooled_size(H, ph, sh, pad_h, ceil_mode), pooled_size(W, pw, sw, pad_w, ceil_mode)
    if OH < 1 or OW < 1:
        raise ValueError(
            f"{where}: the pool window ({ph}, {pw}) must fit in the padded input ({H + 2 * pad_h}, "
            f"{W + 2 * pad_w}). Received: x.shape={x.shape}, pool_size={pool_size!r}"
        )
    extend_h = max((OH - 1) * sh + ph - (H + 2 * pad_h), 0)  # ceil_mode's last windows
    extend_w = max((OW - 1) * sw + pw - (W + 2 * pad_w), 0)
    fill = -np.inf if count_include_pad is None else 0
    padded = np.pad(
        x, ((0, 0), (0, 0), (pad_h, pad_h + extend_h), (pad_w, pad_w + extend_w)), constant_values=fill
    )  # (N, C, H + 2 * pad_h + extend_h, W + 2 * pad_w + extend_w)
    if count_include_pad is None:
        out, inner = maxpool2d_forward(padded, (ph, pw), (sh, sw))  # (N, C, OH, OW)
        return out, PaddedPoolCache(inner, (pad_h, pad_w), None, x.shape, x.dtype)
    out, inner = avgpool2d_forward(padded, (ph, pw), (sh, sw))  # the sums / (ph * pw)
    rows = _window_divisors(H, ph, sh, pad_h, OH, count_include_pad)  # (OH,)
    cols = _window_divisors(W, pw, sw, pad_w, OW, count_include_pad)  # (OW,)
    scale = ((ph * pw) / np.outer(rows, cols)).astype(x.dtype)  # (OH, OW)
    return out * scale, PaddedPoolCache(inner, (pad_h, pad_w), scale, x.shape, x.dtype)


def _padded_pool_backward(dout, cache, inner_kind: type, inner_backward, where: str) -> np.ndarray:
    """The inner pool's backward over the padded copy, then the gradient of x cut out of it."""
    inner, padding, scale, x_shape, dtype = cache
    if not isinstance(inner, inner_kind):
        raise TypeError(
            f"{where}: cache.inner must be a {inner_kind.__name__}. Received: type {type(inner).__name__}"
        )
    x_shape, dtype = shape_field(x_shape, "x_shape", where, ndim=4), dtype_field(dtype, where)
    pad_h, pad_w = int_pair(padding, "cache.padding", where, minimum=0)
    N, C, H, W = x_shape
    padded_shape = shape_field(inner.x_shape, "inner.x_shape", where, ndim=4)
    if padded_shape[:2] != (N, C) or padded_shape[2] < H + 2 * pad_h or padded_shape[3] < W + 2 * pad_w:
        raise ValueError(
            f"{where}: cache.inner.x_shape={padded_shape} is not cache.x_shape={x_shape} "
            f"padded by {padding!r}"
        )
    if inner_kind is AvgPoolCache:
        out_shape = _avgpool_cache(inner, where).out_shape
        scale = array_field(scale, "scale", where, dtype=dtype, shape=out_shape[2:])
        dout = _upstream(dout, dtype, out_shape, where) * scale  # (N, C, OH, OW)
    dx = inner_backward(dout, inner)  # (N, C, padded H, padded W)
    return np.ascontiguousarray(dx[:, :, pad_h : pad_h + H, pad_w : pad_w + W])


def global_avgpool2d_forward(x) -> tuple[np.ndarray, tuple]:
    """Global average pooling forward pass: the mean of each channel over H and W
    (torch.nn.AdaptiveAvgPool2d(1) followed by Flatten).

    Inputs: x (N, C, H, W). Returns (out, cache) with out (N, C).
    """
    where = "global_avgpool2d_forward"
    x = _images(x, where)
    N, C, H, W = x.shape
    sums = np.zeros(N * C)  # each plane's sum, in double, compiled on all threads (numpy's mean is on one)
    _kernels.channel_sums(contiguous(x).reshape(1, N * C, H * W), sums, get_num_threads())
    return (sums / (H * W)).astype(x.dtype).reshape(N, C), GlobalAvgPoolCache(x.shape, x.dtype)  # (N, C)


def global_avgpool2d_backward(dout, cache) -> np.ndarray:
    """Global average pooling backward pass: dout (N, C) -> dx (N, C, H, W), each pixel's share."""
    where = "global_avgpool2d_backward"
    x_shape, dtype = of_kind(cache, GlobalAvgPoolCache, "global_avgpool2d_forward", where)
    x_shape, dtype = shape_field(x_shape, "x_shape", where, ndim=4), dtype_field(dtype, where)
    N, C, H, W = x_shape
    dout = float_array(dout, "dout", "global_avgpool2d_backward", dtype)
    check_shape(dout, (N, C), "dout", "global_avgpool2d_backward")
    share = dout / (H * W)  # (N, C): every input pixel's share of its channel mean
    return np.ascontiguousarray(np.broadcast_to(share[:, :, None, None], x_shape))  # (N, C, H, W)


def _images(x, where: str) -> np.ndarray:
    """x checked: a float (N, C, H, W) array with H, W >= 1."""
    x = float_array(x, "x", where)
    check_ndim(x, (4,), "x", where, "(N, C, H, W)")
    if x.shape[2] == 0 or x.shape[3] == 0:
        raise ValueError(f"{where}: x must have H, W >= 1. Received: x.shape={x.shape}")
    return x


def global_maxpool2d_forward(x) -> tuple[np.ndarray, GlobalMaxPoolCache]:
    """Global max pooling forward pass: the max of each channel over H and W
    (torch.nn.AdaptiveMaxPool2d(1) followed by Flatten).

    Inputs: x (N, C, H, W). Returns (out, cache) with out (N, C); the gradient goes to the first maximum.
    """
    x = _images(x, "global_maxpool2d_forward")
    N, C, H, W = x.shape
    flat = x.reshape(N, C, H * W)
    argmax = flat.argmax(axis=2)  # (N, C), the first maximum (a NaN if any)
    out = np.take_along_axis(flat, argmax[:, :, None], axis=2)[:, :, 0]  # (N, C)
    return out, GlobalMaxPoolCache(argmax.astype(np.int64), x.shape, x.dtype)


def global_maxpool2d_backward(dout, cache) -> np.ndarray:
    """Global max pooling backward pass: dout (N, C) -> dx (N, C, H, W), dout at each channel's max."""
    where = "global_maxpool2d_backward"
    argmax, x_shape, dtype = of_kind(cache, GlobalMaxPoolCache, "global_maxpool2d_forward", where)
    x_shape, dtype = shape_field(x_shape, "x_shape", where, ndim=4), dtype_field(dtype, where)
    N, C, H, W = x_shape
    argmax = array_field(argmax, "argmax", where, dtype=np.int64, shape=(N, C))
    if argmax.size and (argmax.min() < 0 or argmax.max() >= H * W):
        raise ValueError(f"{where}: cache.argmax points outside the input {x_shape}")
    dout = float_array(dout, "dout", where, dtype)
    check_shape(dout, (N, C), "dout", where)
    dx = np.zeros((N, C, H * W), dtype)
    np.put_along_axis(dx, argmax[:, :, None], dout[:, :, None], axis=2)
    return dx.reshape(x_shape)


def _adaptive_windows(size: int, out_size: int) -> list[tuple[int, int]]:
    """torch's adaptive pooling windows: (floor(i * size / out_size), ceil((i + 1) * size / out_size))."""
    return [((i * size) // out_size, -((-(i + 1) * size) // out_size)) for i in range(out_size)]


def _window_sums(x: np.ndarray, windows: list[tuple[int, int]], axis: int) -> np.ndarray:
    """The sum of x over each window along ``axis`` (the windows stacked along that axis)."""
    return np.stack(
        [x.take(range(start, end), axis=axis).sum(axis=axis) for start, end in windows], axis=axis
    )


def _window_sizes(windows: list[tuple[int, int]]) -> np.ndarray:
    return np.array([end - start for start, end in windows])


def adaptive_avgpool2d_forward(x, output_size) -> tuple[np.ndarray, AdaptiveAvgPoolCache]:
    """Adaptive average pooling forward pass (torch.nn.AdaptiveAvgPool2d(output_size)).

    Inputs: x (N, C, H, W); output_size: int or (OH, OW). Returns (out, cache) with out (N, C, OH, OW), the
    mean of rows floor(i * H / OH) to ceil((i + 1) * H / OH) and likewise for the columns.
    """
    where = "adaptive_avgpool2d_forward"
    x = _images(x, where)
    OH, OW = int_pair(output_size, "output_size", where, minimum=1, maximum=2**20)
    rows, cols = _adaptive_windows(x.shape[2], OH), _adaptive_windows(x.shape[3], OW)
    sums = _window_sums(_window_sums(x, rows, axis=2), cols, axis=3)  # (N, C, OH, OW)
    counts = np.outer(_window_sizes(rows), _window_sizes(cols))  # (OH, OW)
    out = (sums / counts).astype(x.dtype, copy=False)
    return out, AdaptiveAvgPoolCache((OH, OW), x.shape, x.dtype)


def adaptive_avgpool2d_backward(dout, cache) -> np.ndarray:
    """Adaptive average pooling backward pass: dout (N, C, OH, OW) -> dx (N, C, H, W)."""
    where = "adaptive_avgpool2d_backward"
    output_size, x_shape, dtype = of_kind(cache, AdaptiveAvgPoolCache, "adaptive_avgpool2d_forward", where)
    x_shape, dtype = shape_field(x_shape, "x_shape", where, ndim=4), dtype_field(dtype, where)
    OH, OW = int_pair(output_size, "cache.output_size", where, minimum=1, maximum=2**20)
    N, C, H, W = x_shape
    if H == 0 or W == 0:
        raise ValueError(f"{where}: cache.x_shape must have H, W >= 1. Received: cache.x_shape={x_shape}")
    dout = float_array(dout, "dout", where, dtype)
    check_shape(dout, (N, C, OH, OW), "dout", where)
    rows, cols = _adaptive_windows(H, OH), _adaptive_windows(W, OW)
    share = (dout / np.outer(_window_sizes(rows), _window_sizes(cols))).astype(dtype, copy=False)
    by_rows = np.zeros((N, C, OH, W), dtype)  # each output row's share spread over its columns
    for j, (start, end) in enumerate(cols):
        by_rows[:, :, :, start:end] += share[:, :, :, j : j + 1]
    dx = np.zeros(x_shape, dtype)  # (N, C, H, W)
    for i, (start, end) in enumerate(rows):
        dx[:, :, start:end, :] += by_rows[:, :, i : i + 1, :]
    return dx
