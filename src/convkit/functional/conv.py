"""2-D convolution (cross-correlation, as torch.nn.functional.conv2d), NCHW input and OIHW weights."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .._threads import get_num_threads
from .._validation import check_ndim, check_shape, contiguous, float_array, int_pair


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a convolution or pooling window along one axis."""
    return (size + 2 * padding - kernel) // stride + 1


def conv2d_forward(x, w, b, stride=1, padding=0) -> tuple[np.ndarray, tuple]:
    """2-D convolution forward pass.

    Inputs:
    - x: (N, C, H, W)
    - w: (F, C, KH, KW)
    - b: (F,)
    - stride: int or (sh, sw), >= 1
    - padding: int or (ph, pw), >= 0 zeros added on both sides of each axis

    Returns (out, cache) with out (N, F, OH, OW), OH = (H + 2*ph - KH) // sh + 1, OW likewise.
    """
    where = "conv2d_forward"
    x = float_array(x, "x", where)
    w = float_array(w, "w", where, x.dtype)
    b = float_array(b, "b", where, x.dtype)
    check_ndim(x, (4,), "x", where, "(N, C, H, W)")
    check_ndim(w, (4,), "w", where, "(F, C, KH, KW)")
    sh, sw = int_pair(stride, "stride", where, minimum=1)
    ph, pw = int_pair(padding, "padding", where, minimum=0)
    N, C, H, W = x.shape
    F, WC, KH, KW = w.shape
    if WC != C:
        raise ValueError(
            f"{where}: w must have C={C} input channels to match x. "
            f"Received: x.shape={x.shape}, w.shape={w.shape}"
        )
    check_shape(b, (F,), "b", where)
    if KH > H + 2 * ph or KW > W + 2 * pw or min(KH, KW) < 1:
        raise ValueError(
            f"{where}: the kernel ({KH}, {KW}) must fit in the padded input ({H + 2 * ph}, {W + 2 * pw}). "
            f"Received: x.shape={x.shape}, w.shape={w.shape}, padding={padding!r}"
        )
    OH = conv_output_size(H, KH, sh, ph)
    OW = conv_output_size(W, KW, sw, pw)
    x_pad = contiguous(np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x)  # (N, C, HP, WP)
    w = contiguous(w)
    out = np.empty((N, F, OH, OW), dtype=x.dtype)
    _kernels.conv2d_forward(x_pad, w, contiguous(b), out, sh, sw, get_num_threads())
    return out, (x_pad, w, (sh, sw), (ph, pw), x.shape)


def conv2d_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2-D convolution backward pass.

    Inputs:
    - dout: (N, F, OH, OW) upstream gradient
    - cache: from conv2d_forward

    Returns (dx, dw, db) with dx (N, C, H, W), dw (F, C, KH, KW), db (F,).
    """
    where = "conv2d_backward"
    x_pad, w, (sh, sw), (ph, pw), x_shape = cache
    N, C, HP, WP = x_pad.shape
    F, _, KH, KW = w.shape
    out_shape = (N, F, (HP - KH) // sh + 1, (WP - KW) // sw + 1)
    dout = float_array(dout, "dout", where, x_pad.dtype)
    check_shape(dout, out_shape, "dout", where)
    dout = contiguous(dout)
    n_threads = get_num_threads()
    dx_pad = np.zeros_like(x_pad)  # (N, C, HP, WP)
    _kernels.conv2d_backward_input(dout, w, dx_pad, sh, sw, n_threads)
    dw = np.empty_like(w)
    db = np.empty(F, dtype=w.dtype)
    _kernels.conv2d_backward_weight(x_pad, dout, dw, db, sh, sw, n_threads)
    dx = dx_pad[:, :, ph : ph + x_shape[2], pw : pw + x_shape[3]]  # (N, C, H, W)
    return np.ascontiguousarray(dx), dw, db
