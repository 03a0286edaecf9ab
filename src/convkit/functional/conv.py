"""2-D convolution (cross-correlation, as torch.nn.functional.conv2d), NCHW input and OIHW weights.

Which kernel path, grid and blocking a convolution runs with is decided in one place, the plan of
``_native/conv_plan.pxi`` (``_kernels.conv_plan_info`` shows it); this module checks and allocates."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .. import _workspace as workspace
from .._threads import get_num_threads
from .._validation import check_ndim, check_shape, contiguous, float_array, int_pair, one_of, positive_int
from ._caches import ConvCache, ConvReluCache, array_field, float_field, of_kind
from .activations import relu_backward

# the largest zero-padded input plane (H + 2ph) * (W + 2pw): the kernels size per-thread buffers by it and
# compute H + 2ph in C ints
MAX_PLANE_ELEMENTS = 2**31 - 1
PADDING_KEYWORDS = ("same", "valid")
Pair = tuple[int, int]
_Geometry = tuple[
    Pair, Pair, Pair, int, tuple[int, int, int, int]
]  # stride, padding, dilation, groups, out shape


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output length of a convolution or pooling window along one axis."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) zeros of ``padding="same"`` along one axis: output length ceil(size / stride), the
    total ``max((out - 1)*stride + dilation*(kernel - 1) + 1 - size, 0)`` split with the odd one after.
    Keras's/TF's rule; for stride 1 it is torch's (total dilation*(kernel - 1))."""
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def conv2d_forward(x, w, b, stride=1, padding=0, dilation=1, groups=1) -> tuple[np.ndarray, ConvCache]:
    """2-D convolution forward pass (torch.nn.functional.conv2d).

    Inputs:
    - x: (N, C, H, W)
    - w: (F, C // groups, KH, KW)
    - b: (F,)
    - stride: int or (sh, sw), >= 1
    - padding: int or (ph, pw), >= 0 zeros added on both sides of each axis; ``"valid"`` (0) or ``"same"``
      (output ceil(H / sh) x ceil(W / sw), see ``same_padding``: an odd total puts the extra zero below or
      right, run on a zero-padded copy of x)
    - dilation: int or (dh, dw), >= 1, the spacing of the kernel taps
    - groups: C and F split into this many groups, group g's filters seeing only group g's channels

    Returns (out, cache) with out (N, F, OH, OW), OH = (H + 2*ph - dh*(KH - 1) - 1) // sh + 1, OW likewise.
    """
    return _forward(x, w, b, stride, padding, dilation, groups, False, "conv2d_forward")


def conv2d_relu_forward(
    x, w, b, stride=1, padding=0, dilation=1, groups=1
) -> tuple[np.ndarray, ConvReluCache]:
    """max(conv2d(x, w, b), 0) with the ReLU fused into the convolution (CS231n's conv_relu sandwich).

    Inputs and out as in ``conv2d_forward``; the cache also holds out, for the ReLU's mask.
    """
    out, cache = _forward(x, w, b, stride, padding, dilation, groups, True, "conv2d_relu_forward")
    return out, ConvReluCache(cache, out)


def conv2d_add_relu_forward(
    x, w, b, residual, stride=1, padding=0, dilation=1, groups=1
) -> tuple[np.ndarray, ConvReluCache]:
    """max(conv2d(x, w, b) + residual, 0): a residual block's last convolution, the shortcut's sum and the
    closing ReLU in one pass (each job adds and clamps its own outputs while they are in cache), bit for
    bit ``add_relu_forward`` of ``conv2d_forward``'s output and residual.

    Inputs as in ``conv2d_forward``, and residual: an array of out's shape (N, F, OH, OW), converted to x's
    dtype. Returns (out, cache); the cache also holds out, whose positive entries let dout through to both
    summands (``conv2d_add_relu_backward``).
    """
    out, cache = _forward(
        x, w, b, stride, padding, dilation, groups, True, "conv2d_add_relu_forward", residual
    )
    return out, ConvReluCache(cache, out)


def _geometry(x_shape, w_shape, stride, padding, dilation, groups, where: str, prefix: str = "") -> _Geometry:
    """Stride, padding and output shape of x (N, C, H, W) convolved with w (F, C // groups, KH, KW), after
    checking that they fit: stride, padding and dilation within the kernels' C ints, C and F divisible by
    groups, the dilated kernel inside the padded input, which stays within ``MAX_PLANE_ELEMENTS`` per plane.
    ``prefix`` is ``"cache."`` when the values come from a cache."""
    sh, sw = int_pair(stride, f"{prefix}stride", where, minimum=1)
    ph, pw = int_pair(padding, f"{prefix}padding", where, minimum=0)
    dh, dw = int_pair(dilation, f"{prefix}dilation", where, minimum=1)
    groups = positive_int(groups, f"{prefix}groups", where)
    N, C, H, W = x_shape
    F, WC, KH, KW = w_shape
    x, w, pad = f"{prefix}x", f"{prefix}w", f"{prefix}padding"  # the names in the messages
    if C == 0:  # no taps: the kernels size their tiles by C*KH*KW
        raise ValueError(f"{where}: {x} must have at least one input channel. Received: {x}.shape={x_shape}")
    if C % groups or F % groups:
        raise ValueError(
            f"{where}: {prefix}groups must divide the input channels C={C} and the filters F={F}. "
            f"Received: {prefix}groups={groups}, {x}.shape={x_shape}, {w}.shape={w_shape}"
        )
    if WC != C // groups:
        wanted, grouped = (
            (f"C={C}", "") if groups == 1 else (f"C // groups={C // groups}", f", {prefix}groups={groups}")
        )
        raise ValueError(
            f"{where}: {w} must have {wanted} input channels to match {x}. "
            f"Received: {x}.shape={x_shape}, {w}.shape={w_shape}{grouped}"
        )
    EH, EW = dh * (KH - 1) + 1, dw * (KW - 1) + 1  # the dilated kernel's extent
    if EH > H + 2 * ph or EW > W + 2 * pw or min(KH, KW) < 1:
        dilated = (
            ("", "")
            if (dh, dw) == (1, 1)
            else (f", dilated to ({EH}, {EW}),", f", {prefix}dilation={dilation!r}")
        )
        raise ValueError(
            f"{where}: the kernel ({KH}, {KW}){dilated[0]} must fit in the padded input "
            f"({H + 2 * ph}, {W + 2 * pw}). Received: {x}.shape={x_shape}, {w}.shape={w_shape}, "
            f"{pad}={padding!r}{dilated[1]}"
        )
    if (H + 2 * ph) * (W + 2 * pw) > MAX_PLANE_ELEMENTS:
        raise ValueError(
            f"{where}: {pad} makes the zero-padded input too large: (H + 2*ph) * (W + 2*pw) must be at most "
            f"{MAX_PLANE_ELEMENTS} elements. Received: {x}.shape={x_shape}, {pad}={padding!r}"
        )
    OH, OW = conv_output_size(H, KH, sh, ph, dh), conv_output_size(W, KW, sw, pw, dw)
    return (sh, sw), (ph, pw), (dh, dw), groups, (N, F, OH, OW)


def _resolve_padding(padding, x_shape, w_shape, stride, dilation, where: str):
    """``padding`` as the kernels' symmetric (ph, pw) and the (eh, ew) zeros to append below and right:
    (0, 0) but for a ``"same"`` whose total is odd."""
    if not isinstance(padding, str):
        return padding, (0, 0)
    if one_of(padding, PADDING_KEYWORDS, "padding", where) == "valid":
        return (0, 0), (0, 0)
    stride = int_pair(stride, "stride", where, minimum=1)
    dilation = int_pair(dilation, "dilation", where, minimum=1)
    (th, bh), (tw, bw) = (
        same_padding(n, k, s, d) for n, k, s, d in zip(x_shape[2:], w_shape[2:], stride, dilation)
    )
    return (th, tw), (bh - th, bw - tw)


def _forward(
    x, w, b, stride, padding, dilation, groups, relu: bool, where: str, residual=None
) -> tuple[np.ndarray, ConvCache]:
    """The convolution of x with w (+ b), then ReLU with ``relu``, of its sum with ``residual`` (an array
    of out's shape, or None) where one is given."""
    x = float_array(x, "x", where)
    w = float_array(w, "w", where, x.dtype)
    b = float_array(b, "b", where, x.dtype)
    check_ndim(x, (4,), "x", where, "(N, C, H, W)")
    check_ndim(w, (4,), "w", where, "(F, C // groups, KH, KW)")
    padding, extra = _resolve_padding(padding, x.shape, w.shape, stride, dilation, where)
    x = contiguous(x)
    if extra != (0, 0):  # "same" with an odd total: the extra zero row/column in a copy
        x = np.pad(x, ((0, 0), (0, 0), (0, extra[0]), (0, extra[1])))  # (N, C, H + eh, W + ew)
    stride, padding, dilation, groups, out_shape = _geometry(
        x.shape, w.shape, stride, padding, dilation, groups, where
    )
    check_shape(b, (w.shape[0],), "b", where)
    w, b = contiguous(w), contiguous(b)
    if residual is not None:
        residual = float_array(residual, "residual", where, x.dtype)
        check_shape(residual, out_shape, "residual", where)
        residual = contiguous(residual)
    out = workspace.empty(out_shape, x.dtype)
    if residual is not None and groups == 1:  # the sum and ReLU in the kernel's epilogue
        _kernels.conv2d_forward(x, w, b, out, *stride, *padding, *dilation, True, get_num_threads(), residual)
        return out, ConvCache(x, w, stride, padding, dilation, groups, extra)
    _grouped(
        "forward",
        groups,
        x.shape[1],
        ((x, 1, False), (w, 0, False), (b, 0, False), (out, 1, True)),
        *stride,
        *padding,
        *dilation,
        relu and residual is None,
        get_num_threads(),
    )
    if residual is not None:  # grouped: the sum and ReLU in a pass of their own
        summed = workspace.empty_like(out)
        _kernels.add(out.reshape(-1), residual.reshape(-1), summed.reshape(-1), True, get_num_threads())
        out = summed
    return out, ConvCache(x, w, stride, padding, dilation, groups, extra)


# each pass: (the convolution kernel, the depthwise kernel), with the same arguments
_PASSES = {
    "forward": (_kernels.conv2d_forward, _kernels.depthwise_conv2d_forward),
    "input_grad": (_kernels.conv2d_backward_input, _kernels.depthwise_conv2d_backward_input),
    "weight_grad": (_kernels.conv2d_backward_weight, _kernels.depthwise_conv2d_backward_weight),
}


def _grouped(pass_: str, groups: int, channels: int, operands, *args) -> None:
    """Run one pass of a convolution of ``channels`` input channels: ``kernel(*arrays, *args)`` on the
    whole arrays for groups=1 (as before groups existed) or a depthwise convolution (the plan's
    ``grouped_conv_path``), else once per group. ``operands`` are (array, axis, written) in the kernel's
    order, axis the one the groups split: 1 for the channels of (N, C, ...), 0 for the filters of
    (F, ...). A group's slice along axis 0 is already C-contiguous and is passed as is; along axis 1 it is
    copied (the kernels take C-contiguous arrays), and copied back when written. Each group runs its own
    plan, so results stay bit-identical for any thread count."""
    kernel, depthwise = _PASSES[pass_]
    if groups == 1 or _kernels.grouped_conv_path(channels, groups) == "depthwise":
        (kernel if groups == 1 else depthwise)(*(a for a, _, _ in operands), *args)
        return
    for g in range(groups):
        views = [
            a[
                (slice(None),) * axis
                + (slice(g * (a.shape[axis] // groups), (g + 1) * (a.shape[axis] // groups)),)
            ]
            for a, axis, _ in operands
        ]
        parts = [np.ascontiguousarray(v) for v in views]
        kernel(*parts, *args)
        for view, part, (_, axis, written) in zip(views, parts, operands):
            if written and axis == 1:
                view[...] = part


def _cache(cache, where: str) -> tuple[ConvCache, tuple[int, int, int, int]]:
    """``cache`` checked (a ``ConvCache`` whose x, w, stride, padding, dilation, groups and extra fit
    together, as the forward checks them), with the output shape it implies."""
    x, w, stride, padding, dilation, groups, extra = of_kind(cache, ConvCache, "conv2d_forward", where)
    x = array_field(float_field(x, "x", where), "x", where, ndim=4)
    w = array_field(w, "w", where, dtype=x.dtype, ndim=4)
    extra = int_pair(extra, "cache.extra", where, minimum=0, maximum=1)
    if min(x.shape[2] - extra[0], x.shape[3] - extra[1]) < 0:
        raise ValueError(
            f"{where}: cache.extra must fit in cache.x. Received: cache.extra={extra!r}, "
            f"cache.x.shape={x.shape}"
        )
    stride, padding, dilation, groups, out_shape = _geometry(
        x.shape, w.shape, stride, padding, dilation, groups, where, "cache."
    )
    return ConvCache(contiguous(x), contiguous(w), stride, padding, dilation, groups, extra), out_shape


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

    Returns (dx, dw, db) with dx (N, C, H, W), dw (F, C // groups, KH, KW), db (F,).
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
    x, w, stride, padding, dilation, groups, (eh, ew) = cache
    dx = workspace.empty_like(x)  # (N, C, H + eh, W + ew)
    _grouped(
        "input_grad",
        groups,
        x.shape[1],
        ((dout, 1, False), (w, 0, False), (np.zeros(x.shape[1], x.dtype), 0, False), (dx, 1, True)),
        *stride,
        *padding,
        *dilation,
        get_num_threads(),
    )
    if eh or ew:  # the gradient of the zeros "same" appended is dropped
        dx = np.ascontiguousarray(dx[:, :, : x.shape[2] - eh, : x.shape[3] - ew])  # (N, C, H, W)
    return dx


def conv2d_backward_weights(dout, cache) -> tuple[np.ndarray, np.ndarray]:
    """The parameter half of ``conv2d_backward``, for when nothing needs dx (a network's first layer).

    Returns (dw, db) with dw (F, C // groups, KH, KW), db (F,), equal to conv2d_backward's.
    """
    cache, out_shape = _cache(cache, "conv2d_backward_weights")
    return _weight_gradients(_upstream(dout, cache.x.dtype, out_shape, "conv2d_backward_weights"), cache)


def conv2d_relu_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of ``conv2d_relu_forward``: (dx, dw, db) as in ``conv2d_backward``."""
    dout, conv_cache = _relu_upstream(dout, cache, "conv2d_relu_backward")
    return (_input_gradient(dout, conv_cache), *_weight_gradients(dout, conv_cache))


def conv2d_add_relu_backward(dout, cache) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of ``conv2d_add_relu_forward``: (dx, dw, db, dresidual), dresidual being dout where
    out > 0, else 0, and (dx, dw, db) ``conv2d_backward``'s of dresidual."""
    dresidual, conv_cache = _relu_upstream(dout, cache, "conv2d_add_relu_backward")
    return (_input_gradient(dresidual, conv_cache), *_weight_gradients(dresidual, conv_cache), dresidual)


def conv2d_relu_backward_input(dout, cache) -> np.ndarray:
    """``conv2d_relu_backward``'s dx alone (N, C, H, W), for a frozen layer."""
    return _input_gradient(*_relu_upstream(dout, cache, "conv2d_relu_backward_input"))


def conv2d_relu_backward_weights(dout, cache) -> tuple[np.ndarray, np.ndarray]:
    """The parameter half of ``conv2d_relu_backward``: (dw, db), for a network's first layer."""
    return _weight_gradients(*_relu_upstream(dout, cache, "conv2d_relu_backward_weights"))


def _weight_gradients(dout: np.ndarray, cache: ConvCache) -> tuple[np.ndarray, np.ndarray]:
    x, w, stride, padding, dilation, groups, _ = cache
    dw = np.empty_like(w)  # (F, C // groups, KH, KW)
    db = np.empty(w.shape[0], dtype=w.dtype)  # (F,)
    _grouped(
        "weight_grad",
        groups,
        x.shape[1],
        ((x, 1, False), (dout, 1, False), (dw, 0, True), (db, 0, True)),
        *stride,
        *padding,
        *dilation,
        get_num_threads(),
    )
    return dw, db
