"""2-D convolution (cross-correlation, as torch.nn.functional.conv2d), NCHW input and OIHW weights."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .. import _workspace as workspace
from .._threads import get_num_threads
from .._validation import check_ndim, check_shape, contiguous, float_array, int_pair
from .activations import relu_backward

# Which kernel computes a convolution; the one place where it is decided (see _kernels.pyx):
# - "direct": stride 1. The convolution runs straight off each zero-padded image (per-thread copy): the
#   output is a register-tiled GEMM whose "B" rows are shifted rows of the image, vectorised over output
#   pixels; dx is the same kernel on the padded upstream gradient with the flipped weights. No im2col
#   buffer, for few channels (LeNet) as for many.
# - "im2col": any stride. Per image and block of output pixels an im2col tile of at most ~256 KB is
#   multiplied by the weights with the same GEMM micro-kernel; dx goes through col2im.
# The weight gradient has two kernels on either path: "reduce" (vectorised along pixels) for few filters
# or few taps, "outer" (vectorised along filters, against a transposed copy of dout) for many of both.
# Tests set _FORCE_PATH / _FORCE_DW to run every case through every combination ("direct" applies to
# stride 1 only).
PATHS = ("direct", "im2col")
DW_KERNELS = ("reduce", "outer")
DW_OUTER_MIN_FILTERS = 16
DW_OUTER_MIN_TAPS = 32
_FORCE_PATH: str | None = None
_FORCE_DW: str | None = None


def conv_path(stride) -> str:
    """The kernel path convkit uses for a convolution with this stride: "direct" or "im2col"."""
    sh, sw = stride
    if _FORCE_PATH == "im2col" or (sh, sw) != (1, 1):
        return "im2col"
    return "direct"


def dw_kernel(filters: int, taps: int) -> str:
    """The weight-gradient kernel for a convolution with this many filters and taps (C*KH*KW per filter):
    "outer" (vectorised along filters, needs a transposed copy of dout) for many filters and taps,
    "reduce" (vectorised along pixels) otherwise."""
    if _FORCE_DW is not None:
        return _FORCE_DW
    return "outer" if filters >= DW_OUTER_MIN_FILTERS and taps >= DW_OUTER_MIN_TAPS else "reduce"


def _select_path(stride) -> int:
    return _kernels.CONV_DIRECT if conv_path(stride) == "direct" else _kernels.CONV_IM2COL


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
    return _forward(x, w, b, stride, padding, False, "conv2d_forward")


def conv2d_relu_forward(x, w, b, stride=1, padding=0) -> tuple[np.ndarray, tuple]:
    """max(conv2d(x, w, b), 0) with the ReLU fused into the convolution (CS231n's conv_relu sandwich).

    Inputs and out as in ``conv2d_forward``; the cache also holds out, for the ReLU's mask.
    """
    out, cache = _forward(x, w, b, stride, padding, True, "conv2d_relu_forward")
    return out, (cache, out)


def _forward(x, w, b, stride, padding, relu: bool, where: str) -> tuple[np.ndarray, tuple]:
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
    x = contiguous(x)
    w = contiguous(w)
    path = _select_path((sh, sw))
    out = workspace.empty((N, F, OH, OW), x.dtype)
    _kernels.conv2d_forward(x, w, contiguous(b), out, sh, sw, ph, pw, path, relu, get_num_threads())
    return out, (x, w, (sh, sw), (ph, pw), path)


def conv2d_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2-D convolution backward pass.

    Inputs:
    - dout: (N, F, OH, OW) upstream gradient
    - cache: from conv2d_forward

    Returns (dx, dw, db) with dx (N, C, H, W), dw (F, C, KH, KW), db (F,).
    """
    dout = _upstream(dout, cache, "conv2d_backward")
    return (_input_gradient(dout, cache), *_weight_gradients(dout, cache))


def conv2d_backward_input(dout, cache) -> np.ndarray:
    """The input half of ``conv2d_backward``, for a frozen layer (no parameter gradients).

    Returns dx (N, C, H, W), equal to conv2d_backward's.
    """
    return _input_gradient(_upstream(dout, cache, "conv2d_backward_input"), cache)


def _input_gradient(dout: np.ndarray, cache) -> np.ndarray:
    x, w, (sh, sw), (ph, pw), path = cache
    dx = workspace.empty_like(x)  # (N, C, H, W)
    _kernels.conv2d_backward_input(dout, w, dx, sh, sw, ph, pw, path, get_num_threads())
    return dx


def conv2d_backward_weights(dout, cache) -> tuple[np.ndarray, np.ndarray]:
    """The parameter half of ``conv2d_backward``, for when nothing needs dx (a network's first layer).

    Returns (dw, db) with dw (F, C, KH, KW), db (F,), equal to conv2d_backward's.
    """
    return _weight_gradients(_upstream(dout, cache, "conv2d_backward_weights"), cache)


def conv2d_relu_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of ``conv2d_relu_forward``: (dx, dw, db) as in ``conv2d_backward``."""
    conv_cache, out = cache
    return conv2d_backward(relu_backward(dout, out), conv_cache)


def conv2d_relu_backward_input(dout, cache) -> np.ndarray:
    """``conv2d_relu_backward``'s dx alone (N, C, H, W), for a frozen layer."""
    conv_cache, out = cache
    return conv2d_backward_input(relu_backward(dout, out), conv_cache)


def conv2d_relu_backward_weights(dout, cache) -> tuple[np.ndarray, np.ndarray]:
    """The parameter half of ``conv2d_relu_backward``: (dw, db), for a network's first layer."""
    conv_cache, out = cache
    return conv2d_backward_weights(relu_backward(dout, out), conv_cache)


def _upstream(dout, cache, where: str) -> np.ndarray:
    x, w, (sh, sw), (ph, pw), _ = cache
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    out_shape = (N, F, conv_output_size(H, KH, sh, ph), conv_output_size(W, KW, sw, pw))
    dout = float_array(dout, "dout", where, x.dtype)
    check_shape(dout, out_shape, "dout", where)
    return contiguous(dout)


def _weight_gradients(dout: np.ndarray, cache) -> tuple[np.ndarray, np.ndarray]:
    x, w, (sh, sw), (ph, pw), path = cache
    F, C, KH, KW = w.shape
    dw = np.empty_like(w)
    db = np.empty(F, dtype=w.dtype)
    outer = dw_kernel(F, C * KH * KW) == "outer"
    _kernels.conv2d_backward_weight(x, dout, dw, db, sh, sw, ph, pw, path, outer, get_num_threads())
    return dw, db
