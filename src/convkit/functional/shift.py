"""Random shift: translate each image by a random whole number of pixels, filling with zeros (a data
augmentation, Keras' ``RandomTranslation`` with integer shifts and ``fill_mode="constant"``)."""

from __future__ import annotations

import numpy as np

from .. import _workspace as workspace
from .._validation import check_ndim, check_shape, flag, float_array, int_pair, optional_seed
from ._caches import ShiftCache, array_field, dtype_field, of_kind, shape_field


def random_shift_forward(
    x, max_shift, training: bool, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, tuple]:
    """Random shift forward pass: out[i, :, r, c] = x[i, :, r - dy_i, c - dx_i], zero where that falls
    outside the image, with |dy_i| <= max_shift[0] and |dx_i| <= max_shift[1] drawn per image.

    Inputs:
    - x: (N, C, H, W)
    - max_shift: int or (sh, sw), >= 0 and at most the image's (H, W)
    - training: False (or max_shift 0) returns x unchanged
    - rng: a numpy Generator, a seed, or None for a fresh generator

    Returns (out, cache) with out (N, C, H, W); the cache holds the (N, 2) shifts (dy, dx), None when
    nothing moved.
    """
    where = "random_shift_forward"
    x = float_array(x, "x", where)
    check_ndim(x, (4,), "x", where, "(N, C, H, W)")
    sh, sw = int_pair(max_shift, "max_shift", where, minimum=0)
    N, C, H, W = x.shape
    if sh > H or sw > W:  # a larger shift moves every pixel out, as H or W does
        raise ValueError(
            f"{where}: max_shift must be at most the image size ({H}, {W}). Received: max_shift={max_shift!r}"
        )
    training = flag(training, "training", where)
    if not isinstance(rng, np.random.Generator):
        rng = optional_seed(rng, "rng", where)
    if not training or (sh == 0 and sw == 0):
        return x, ShiftCache(None, (sh, sw), x.shape, x.dtype)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    shifts = np.stack(
        [rng.integers(-sh, sh + 1, size=N), rng.integers(-sw, sw + 1, size=N)], axis=1
    )  # (N, 2): (dy, dx) per image
    padded = workspace.zeros((N, C, H + 2 * sh, W + 2 * sw), x.dtype)  # (N, C, H + 2sh, W + 2sw)
    padded[:, :, sh : sh + H, sw : sw + W] = x
    out = workspace.empty_like(x)
    for i, (dy, dx) in enumerate(shifts):
        out[i] = padded[i, :, sh - dy : sh - dy + H, sw - dx : sw - dx + W]  # (C, H, W)
    return out, ShiftCache(shifts, (sh, sw), x.shape, x.dtype)


def random_shift_backward(dout, cache) -> np.ndarray:
    """Random shift backward pass: dout (N, C, H, W) -> dx (N, C, H, W), each gradient moved back by its
    image's shift (the adjoint of the forward shift)."""
    where = "random_shift_backward"
    shifts, max_shift, x_shape, dtype = of_kind(cache, ShiftCache, "random_shift_forward", where)
    x_shape, dtype = shape_field(x_shape, "x_shape", where, ndim=4), dtype_field(dtype, where)
    N, C, H, W = x_shape
    sh, sw = shape_field(max_shift, "max_shift", where, ndim=2)
    if sh > H or sw > W:
        raise ValueError(f"{where}: cache.max_shift must be at most ({H}, {W}). Received: {max_shift!r}")
    if shifts is not None:
        array_field(shifts, "shifts", where, shape=(N, 2))
        if shifts.dtype.kind not in "iu" or np.any(np.abs(shifts) > (sh, sw)):
            raise ValueError(f"{where}: cache.shifts must hold integer shifts within cache.max_shift")
    dout = float_array(dout, "dout", where, dtype)
    check_shape(dout, x_shape, "dout", where)
    if shifts is None:
        return dout
    dpadded = workspace.zeros((N, C, H + 2 * sh, W + 2 * sw), dtype)  # (N, C, H + 2sh, W + 2sw)
    for i, (dy, dx) in enumerate(shifts):
        dpadded[i, :, sh - dy : sh - dy + H, sw - dx : sw - dx + W] = dout[i]
    return dpadded[:, :, sh : sh + H, sw : sw + W]  # (N, C, H, W)
