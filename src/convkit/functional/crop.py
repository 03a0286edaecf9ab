"""Random crop: pad with zeros, then cut a random window of each image (a data augmentation, CIFAR's
pad-4-then-crop-32, torchvision's ``RandomCrop(size, padding)``); a center crop at inference."""

from __future__ import annotations

import numpy as np

from .._validation import check_ndim, check_shape, float_array, int_pair


def crop_offsets(input_size: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """The (top, left) of a center crop, as torchvision's ``CenterCrop``: round((H - h) / 2)."""
    return int(round((input_size[0] - size[0]) / 2.0)), int(round((input_size[1] - size[1]) / 2.0))


def random_crop_forward(
    x, size, padding, training: bool, rng: np.random.Generator | int | None = None
) -> tuple[np.ndarray, tuple]:
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
    if not training:
        if (h, w) == (H, W):
            return x, (None, (0, 0), (h, w), x.shape, x.dtype)
        offsets = np.tile(crop_offsets((H, W), (h, w)), (N, 1))  # (N, 2)
        ph = pw = 0
    else:
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        offsets = np.stack(
            [rng.integers(0, H + 2 * ph - h + 1, size=N), rng.integers(0, W + 2 * pw - w + 1, size=N)], axis=1
        )  # (N, 2): (top, left) per image
    padded = np.zeros((N, C, H + 2 * ph, W + 2 * pw), x.dtype)  # (N, C, H + 2ph, W + 2pw)
    padded[:, :, ph : ph + H, pw : pw + W] = x
    out = np.empty((N, C, h, w), x.dtype)
    for i, (top, left) in enumerate(offsets):
        out[i] = padded[i, :, top : top + h, left : left + w]  # (C, h, w)
    return out, (offsets, (ph, pw), (h, w), x.shape, x.dtype)


def random_crop_backward(dout, cache) -> np.ndarray:
    """Random crop backward pass: dout (N, C, h, w) -> dx (N, C, H, W): each window's gradient put back
    in place in the padded image, the padding then cut off; zero outside the window."""
    offsets, (ph, pw), (h, w), x_shape, dtype = cache
    N, C, H, W = x_shape
    dout = float_array(dout, "dout", "random_crop_backward", dtype)
    check_shape(dout, (N, C, h, w), "dout", "random_crop_backward")
    if offsets is None:
        return dout
    dpadded = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype)  # (N, C, H + 2ph, W + 2pw)
    for i, (top, left) in enumerate(offsets):
        dpadded[i, :, top : top + h, left : left + w] = dout[i]
    return dpadded[:, :, ph : ph + H, pw : pw + W]  # (N, C, H, W)
