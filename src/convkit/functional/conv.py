"""2-D convolution (cross-correlation, as torch.nn.functional.conv2d), NCHW input and OIHW weights.

Which kernel path, grid and blocking a convolution runs with is decided in one place, the plan of
``_native/conv_plan.pxi`` (``_kernels.conv_plan_info`` shows it); this module checks and allocates."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .. import _workspace as workspace
from .._threads import get_num_threads
from .._validation import check_ndim, check_shape, contiguous, float_array, int_pair
from .activations import relu_backward


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
    if C == 0:  # no taps: the kernels size their tiles by C*KH*KW
        raise ValueError(f"{where}: x must have at least one input channel. Received: x.shape={x.shape}")
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
    out = workspace.empty((N, F, OH, OW), x.dtype)
    _kernels.conv2d_forward(x, w, contiguous(b), out, sh, sw, ph, pw, relu, get_num_threads())
    return out, (x, w, (sh, sw), (ph, pw))


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
    x, w, (sh, sw), (ph, pw) = cache
    dx = workspace.empty_like(x)  # (N, C, H, W)
    _kernels.conv2d_backward_input(dout, w, dx, sh, sw, ph, pw, get_num_threads())
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
    x, w, (sh, sw), (ph, pw) = cache
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    out_shape = (N, F, conv_output_size(H, KH, sh, ph), conv_output_size(W, KW, sw, pw))
    dout = float_array(dout, "dout", where, x.dtype)
    check_shape(dout, out_shape, "dout", where)
    return contiguous(dout)


def _weight_gradients(dout: np.ndarray, cache) -> tuple[np.ndarray, np.ndarray]:
    x, w, (sh, sw), (ph, pw) = cache
    dw = np.empty_like(w)  # (F, C, KH, KW)
    db = np.empty(w.shape[0], dtype=w.dtype)  # (F,)
    _kernels.conv2d_backward_weight(x, dout, dw, db, sh, sw, ph, pw, get_num_threads())
    return dw, db
