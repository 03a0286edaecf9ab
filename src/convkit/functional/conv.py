"""2-D convolution (cross-correlation, as torch.nn.functional.conv2d), NCHW input and OIHW weights.

Which kernel path, grid and blocking a convolution runs with is decided in one place, the plan of
``_native/conv_plan.pxi`` (``_kernels.conv_plan_info`` shows it); this module checks and allocates."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .. import _workspace as workspace
from .._threads import get_num_threads
from .._validation import check_ndim, check_shape, contiguous, float_array, int_pair
from ._caches import ConvCache, ConvReluCache, array_field, float_field, of_kind
from .activations import relu_backward

# the largest zero-padded input plane (H + 2ph) * (W + 2pw): the kernels size per-thread buffers by it and
# compute H + 2ph in C ints
MAX_PLANE_ELEMENTS = 2**31 - 1
_Geometry = tuple[tuple[int, int], tuple[int, int], tuple[int, int, int, int]]  # stride, padding, out shape


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a convolution or pooling window along one axis."""
    return (size + 2 * padding - kernel) // stride + 1


def conv2d_forward(x, w, b, stride=1, padding=0) -> tuple[np.ndarray, ConvCache]:
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


def conv2d_relu_forward(x, w, b, stride=1, padding=0) -> tuple[np.ndarray, ConvReluCache]:
    """max(conv2d(x, w, b), 0) with the ReLU fused into the convolution (CS231n's conv_relu sandwich).

    Inputs and out as in ``conv2d_forward``; the cache also holds out, for the ReLU's mask.
    """
    out, cache = _forward(x, w, b, stride, padding, True, "conv2d_relu_forward")
    return out, ConvReluCache(cache, out)


def _geometry(x_shape, w_shape, stride, padding, where: str, prefix: str = "") -> _Geometry:
    """Stride, padding and output shape of x (N, C, H, W) convolved with w (F, C, KH, KW), after checking
    that they fit: stride and padding within the kernels' C ints, the kernel inside the padded input,
    which stays within ``MAX_PLANE_ELEMENTS`` per plane.
    ``prefix`` is ``"cache."`` when the values come from a cache."""
    sh, sw = int_pair(stride, f"{prefix}stride", where, minimum=1)
    ph, pw = int_pair(padding, f"{prefix}padding", where, minimum=0)
    N, C, H, W = x_shape
    F, WC, KH, KW = w_shape
    x, w, pad = f"{prefix}x", f"{prefix}w", f"{prefix}padding"  # the names in the messages
    if C == 0:  # no taps: the kernels size their tiles by C*KH*KW
        raise ValueError(f"{where}: {x} must have at least one input channel. Received: {x}.shape={x_shape}")
    if WC != C:
        raise ValueError(
            f"{where}: {w} must have C={C} input channels to match {x}. "
            f"Received: {x}.shape={x_shape}, {w}.shape={w_shape}"
        )
    if KH > H + 2 * ph or KW > W + 2 * pw or min(KH, KW) < 1:
        raise ValueError(
            f"{where}: the kernel ({KH}, {KW}) must fit in the padded input ({H + 2 * ph}, {W + 2 * pw}). "
            f"Received: {x}.shape={x_shape}, {w}.shape={w_shape}, {pad}={padding!r}"
        )
    if (H + 2 * ph) * (W + 2 * pw) > MAX_PLANE_ELEMENTS:
        raise ValueError(
            f"{where}: {pad} makes the zero-padded input too large: (H + 2*ph) * (W + 2*pw) must be at most "
            f"{MAX_PLANE_ELEMENTS} elements. Received: {x}.shape={x_shape}, {pad}={padding!r}"
        )
    return (sh, sw), (ph, pw), (N, F, conv_output_size(H, KH, sh, ph), conv_output_size(W, KW, sw, pw))


def _forward(x, w, b, stride, padding, relu: bool, where: str) -> tuple[np.ndarray, ConvCache]:
    x = float_array(x, "x", where)
    w = float_array(w, "w", where, x.dtype)
    b = float_array(b, "b", where, x.dtype)
    check_ndim(x, (4,), "x", where, "(N, C, H, W)")
    check_ndim(w, (4,), "w", where, "(F, C, KH, KW)")
    (sh, sw), (ph, pw), out_shape = _geometry(x.shape, w.shape, stride, padding, where)
    check_shape(b, (w.shape[0],), "b", where)
    x = contiguous(x)
    w = contiguous(w)
    out = workspace.empty(out_shape, x.dtype)
    _kernels.conv2d_forward(x, w, contiguous(b), out, sh, sw, ph, pw, relu, get_num_threads())
    return out, ConvCache(x, w, (sh, sw), (ph, pw))


def _cache(cache, where: str) -> tuple[ConvCache, tuple[int, int, int, int]]:
    """``cache`` checked (a ``ConvCache`` whose x, w, stride and padding fit together, as the forward
    checks them), with the output shape it implies."""
    x, w, stride, padding = of_kind(cache, ConvCache, "conv2d_forward", where)
    x = array_field(float_field(x, "x", where), "x", where, ndim=4)
    w = array_field(w, "w", where, dtype=x.dtype, ndim=4)
    stride, padding, out_shape = _geometry(x.shape, w.shape, stride, padding, where, "cache.")
    return ConvCache(contiguous(x), contiguous(w), stride, padding), out_shape


def _relu_cache(cache, where: str) -> tuple[ConvCache, np.ndarray, tuple[int, int, int, int]]:
    """``cache`` checked: a ``ConvReluCache`` whose convolution cache is sound and whose out has the
    convolution's output shape and dtype."""
    conv_cache, out = of_kind(cache, ConvReluCache, "conv2d_relu_forward", where)
    conv_cache, out_shape = _cache(conv_cache, where)
    array_field(out, "out", where, dtype=conv_cache.x.dtype, shape=out_shape)
    return conv_cache, out, out_shape


def _upstream(dout, dtype: np.dtype, out_shape: tuple[int, int, int, int], where: str) -> np.ndarray:
    dout = float_array(dout, "dout", where, dtype)
    check_shape(dout, out_shape, "dout", where)
    return contiguous(dout)


def _relu_upstream(dout, cache, where: str) -> tuple[np.ndarray, ConvCache]:
    """The gradient through the fused ReLU (dout where out > 0), and the checked convolution cache."""
    conv_cache, out, out_shape = _relu_cache(cache, where)
    dout = _upstream(dout, out.dtype, out_shape, where)
    return contiguous(relu_backward(dout, out)), conv_cache


def conv2d_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2-D convolution backward pass.

    Inputs:
    - dout: (N, F, OH, OW) upstream gradient
    - cache: from conv2d_forward

    Returns (dx, dw, db) with dx (N, C, H, W), dw (F, C, KH, KW), db (F,).
    """
    cache, out_shape = _cache(cache, "conv2d_backward")
    dout = _upstream(dout, cache.x.dtype, out_shape, "conv2d_backward")
    return (_input_gradient(dout, cache), *_weight_gradients(dout, cache))


def conv2d_backward_input(dout, cache) -> np.ndarray:
    """The input half of ``conv2d_backward``, for a frozen layer (no parameter gradients).

    Returns dx (N, C, H, W), equal to conv2d_backward's.
    """
    cache, out_shape = _cache(cache, "conv2d_backward_input")
    return _input_gradient(_upstream(dout, cache.x.dtype, out_shape, "conv2d_backward_input"), cache)


def _input_gradient(dout: np.ndarray, cache: ConvCache) -> np.ndarray:
    x, w, (sh, sw), (ph, pw) = cache
    dx = workspace.empty_like(x)  # (N, C, H, W)
    _kernels.conv2d_backward_input(dout, w, dx, sh, sw, ph, pw, get_num_threads())
    return dx


def conv2d_backward_weights(dout, cache) -> tuple[np.ndarray, np.ndarray]:
    """The parameter half of ``conv2d_backward``, for when nothing needs dx (a network's first layer).

    Returns (dw, db) with dw (F, C, KH, KW), db (F,), equal to conv2d_backward's.
    """
    cache, out_shape = _cache(cache, "conv2d_backward_weights")
    return _weight_gradients(_upstream(dout, cache.x.dtype, out_shape, "conv2d_backward_weights"), cache)


def conv2d_relu_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of ``conv2d_relu_forward``: (dx, dw, db) as in ``conv2d_backward``."""
    dout, conv_cache = _relu_upstream(dout, cache, "conv2d_relu_backward")
    return (_input_gradient(dout, conv_cache), *_weight_gradients(dout, conv_cache))


def conv2d_relu_backward_input(dout, cache) -> np.ndarray:
    """``conv2d_relu_backward``'s dx alone (N, C, H, W), for a frozen layer."""
    return _input_gradient(*_relu_upstream(dout, cache, "conv2d_relu_backward_input"))


def conv2d_relu_backward_weights(dout, cache) -> tuple[np.ndarray, np.ndarray]:
    """The parameter half of ``conv2d_relu_backward``: (dw, db), for a network's first layer."""
    return _weight_gradients(*_relu_upstream(dout, cache, "conv2d_relu_backward_weights"))


def _weight_gradients(dout: np.ndarray, cache: ConvCache) -> tuple[np.ndarray, np.ndarray]:
    x, w, (sh, sw), (ph, pw) = cache
    dw = np.empty_like(w)  # (F, C, KH, KW)
    db = np.empty(w.shape[0], dtype=w.dtype)  # (F,)
    _kernels.conv2d_backward_weight(x, dout, dw, db, sh, sw, ph, pw, get_num_threads())
    return dw, db
