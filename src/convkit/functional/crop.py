"""Random crop: pad with zeros, then cut a random window of each image (a data augmentation, CIFAR's
pad-4-then-crop-32, torchvision's ``RandomCrop(size, padding)``); a center crop at inference.

The padded image is never built: each window copies the part of the image it covers and is zero
elsewhere, so any padding costs no memory."""

from __future__ import annotations

import numpy as np

from .._validation import check_ndim, check_shape, flag, float_array, int_pair, optional_seed
from ._caches import CropCache, array_field, dtype_field, of_kind, shape_field


def crop_offsets(input_size: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """The (top, left) of a center crop, as torchvision's ``CenterCrop``: round((H - h) / 2)."""
    return int(round((input_size[0] - size[0]) / 2.0)), int(round((input_size[1] - size[1]) / 2.0))


def _overlap(start: int, length: int, size: int) -> tuple[slice, slice]:
    """Where a window [start, start + length) of an axis of ``size`` (start may be negative, in the padding)
    meets the axis: (the slice of the window, the slice of the axis)."""
    lo, hi = max(start, 0), min(start + length, size)
    hi = max(hi, lo)
    return slice(lo - start, hi - start), slice(lo, hi)


def random_crop_forward(
    x, size, padding, training: bool, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, CropCache]:
    """Random crop forward pass: out[i] = pad(x[i])[:, t_i : t_i + h, l_i : l_i + w] with the offsets drawn
    per image (``rng.integers(0, H + 2p - h + 1, N)`` then the same for l); in eval mode the center crop
    of the unpadded x (x itself when (h, w) == (H, W)).

    Inputs:
    - x: (N, C, H, W)
    - size: int or (h, w), at most (H, W)
    - padding: int or (ph, pw) >= 0 of zeros on each side (training only)
    - training: whether to crop at random
    - rng: a numpy Generator, a seed, or None for a fresh generator

    Returns (out, cache) with out (N, C, h, w); the cache holds the (N, 2) offsets (top, left) into the
    padded image (None when out is x), the padding and the crop size.
    """
    where = "random_crop_forward"
    x = float_array(x, "x", where)
    check_ndim(x, (4,), "x", where, "(N, C, H, W)")
    h, w = int_pair(size, "size", where, minimum=1)
    ph, pw = int_pair(padding, "padding", where, minimum=0)
    N, C, H, W = x.shape
    if h > H or w > W:
        raise ValueError(
            f"{where}: size must be at most the image's (H, W)={(H, W)}. Received: size={(h, w)}"
        )
    training = flag(training, "training", where)
    if not isinstance(rng, np.random.Generator):
        rng = optional_seed(rng, "rng", where)
    if not training:
        if (h, w) == (H, W):
            return x, CropCache(None, (0, 0), (h, w), x.shape, x.dtype)
        offsets = np.tile(crop_offsets((H, W), (h, w)), (N, 1))  # (N, 2)
        ph = pw = 0
    else:
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        offsets = np.stack(
            [rng.integers(0, H + 2 * ph - h + 1, size=N), rng.integers(0, W + 2 * pw - w + 1, size=N)], axis=1
        )  # (N, 2): (top, left) per image
    out = np.zeros((N, C, h, w), x.dtype)
    for i, (top, left) in enumerate(offsets):
        (win_r, rows), (win_c, cols) = _overlap(int(top) - ph, h, H), _overlap(int(left) - pw, w, W)
        out[i, :, win_r, win_c] = x[i, :, rows, cols]  # (C, h, w), zero over the padding
    return out, CropCache(offsets, (ph, pw), (h, w), x.shape, x.dtype)


def _cache(cache, where: str) -> CropCache:
    """``cache`` checked: a ``CropCache`` whose offsets put every window inside the padded image."""
    offsets, padding, size, x_shape, dtype = of_kind(cache, CropCache, "random_crop_forward", where)
    x_shape, dtype = shape_field(x_shape, "x_shape", where, ndim=4), dtype_field(dtype, where)
    N, C, H, W = x_shape
    ph, pw = int_pair(padding, "cache.padding", where, minimum=0)
    h, w = int_pair(size, "cache.size", where, minimum=1)
    if h > H or w > W or (offsets is None and (h, w) != (H, W)):
        raise ValueError(
            f"{where}: cache.size must be at most cache.x_shape's (H, W), and equal to it when nothing was "
            f"cropped. Received: cache.size={size!r}, cache.x_shape={x_shape}"
        )
    if offsets is not None:
        array_field(offsets, "offsets", where, shape=(N, 2))
        if offsets.dtype.kind not in "iu" or np.any(
            (offsets < 0) | (offsets > (H + 2 * ph - h, W + 2 * pw - w))
        ):
            raise ValueError(f"{where}: cache.offsets must hold integer offsets inside the padded image")
    return CropCache(offsets, (ph, pw), (h, w), x_shape, dtype)


def random_crop_backward(dout, cache) -> np.ndarray:
    """Random crop backward pass: dout (N, C, h, w) -> dx (N, C, H, W): each window's gradient put back
    in place in the padded image, the padding then cut off; zero outside the window."""
    where = "random_crop_backward"
    offsets, (ph, pw), (h, w), x_shape, dtype = _cache(cache, where)
    N, C, H, W = x_shape
    dout = float_array(dout, "dout", where, dtype)
    check_shape(dout, (N, C, h, w), "dout", where)
    if offsets is None:
        return dout
    dx = np.zeros(x_shape, dtype)  # (N, C, H, W)
    for i, (top, left) in enumerate(offsets):
        (win_r, rows), (win_c, cols) = _overlap(int(top) - ph, h, H), _overlap(int(left) - pw, w, W)
        dx[i, :, rows, cols] = dout[i, :, win_r, win_c]
    return dx
