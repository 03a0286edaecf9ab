"""The embedded UCI handwritten digits (1,797 real 8x8 images), resized for CNN work."""

from __future__ import annotations

from importlib import resources

import numpy as np

from .._validation import positive_int

TEST_FRACTION = 0.2
SPLIT_SEED = 0


def _interpolation_matrix(size_in: int, size_out: int) -> np.ndarray:
    """(size_out, size_in) matrix of bilinear weights, half-pixel centres (torch's align_corners=False)."""
    scale = size_in / size_out
    centres = np.clip((np.arange(size_out) + 0.5) * scale - 0.5, 0, size_in - 1)  # (size_out,)
    low = np.floor(centres).astype(int)
    high = np.minimum(low + 1, size_in - 1)
    frac = centres - low
    matrix = np.zeros((size_out, size_in))
    rows = np.arange(size_out)
    np.add.at(matrix, (rows, low), 1 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix


def resize_images(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of (N, H, W) images to (N, size, size)."""
    rows = _interpolation_matrix(images.shape[1], size)  # (size, H)
    cols = _interpolation_matrix(images.shape[2], size)  # (size, W)
    return np.einsum("ih,nhw,jw->nij", rows, images, cols)  # (N, size, size)


def load_digits(size: int = 28) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The UCI handwritten digits shipped with convkit, as ``((x_train, y_train), (x_test, y_test))``.

    - x: float32 (N, 1, size, size) in [0, 1], the 8x8 originals (0..16) scaled and resized bilinearly
    - y: int64 (N,) labels 0..9
    - a fixed, class-stratified split: 1,438 training and 359 test images (20% of each class)

    Source and licence (CC BY 4.0): ``convkit/datasets/data/README.md``.
    """
    size = positive_int(size, "size", "load_digits")
    with resources.files("convkit.datasets").joinpath("data/digits.npz").open("rb") as f:
        with np.load(f) as data:
            images, labels = data["images"], data["labels"]
    x = images.astype(np.float64) / 16.0  # (1797, 8, 8) in [0, 1]
    if size != x.shape[1]:
        x = resize_images(x, size)
    x = x.astype(np.float32)[:, None]  # (1797, 1, size, size)
    y = labels.astype(np.int64)

    rng = np.random.default_rng(SPLIT_SEED)
    test = np.zeros(len(y), dtype=bool)
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(y == digit))
        test[members[: round(TEST_FRACTION * len(members))]] = True
    return (x[~test], y[~test]), (x[test], y[test])
