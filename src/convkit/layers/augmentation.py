"""RandomShift: random translation of images by whole pixels, a data augmentation active only in training."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _workspace as workspace
from .._validation import input_ndim, int_pair, optional_seed
from .base import Layer
from .registry import register


@register
class RandomShift(Layer):
    """Shift each training image by a random (dy, dx) with |dy| <= max_shift[0], |dx| <= max_shift[1],
    filling with zeros; the identity in eval mode (``predict``, ``evaluate``). Input (C, H, W).

    Keras' ``RandomTranslation`` with integer pixel shifts and ``fill_mode="constant"``. Put it first in a
    model to augment the training images: every epoch then sees differently placed digits.
    The shifts come from ``np.random.default_rng(seed)``, created at build (Sequential seeds it).
    """

    def __init__(self, max_shift: int | Sequence[int] = 2, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.max_shift = int_pair(max_shift, "max_shift", "RandomShift", minimum=0)
        self.seed = optional_seed(seed, "seed", "RandomShift")

    def build(self, input_shape: Sequence[int]) -> None:
        input_ndim(tuple(input_shape), (3,), "C, H, W", "RandomShift")
        self.rng = np.random.default_rng(self.seed)
        super().build(input_shape)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        sh, sw = self.max_shift
        if not training or (sh == 0 and sw == 0):
            self._shifts = None
            return x
        N, _, H, W = x.shape
        self._shifts = np.stack(
            [self.rng.integers(-sh, sh + 1, size=N), self.rng.integers(-sw, sw + 1, size=N)], axis=1
        )  # (N, 2): (dy, dx) per image
        padded = workspace.zeros((N, x.shape[1], H + 2 * sh, W + 2 * sw), x.dtype)  # (N, C, H + 2sh, W + 2sw)
        padded[:, :, sh : sh + H, sw : sw + W] = x
        out = workspace.empty_like(x)
        for i, (dy, dx) in enumerate(self._shifts):
            # out[i, :, r, c] = x[i, :, r - dy, c - dx]
            out[i] = padded[i, :, sh - dy : sh - dy + H, sw - dx : sw - dx + W]
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout = np.asarray(dout, dtype=self.dtype)
        if self._shifts is None:
            return dout
        sh, sw = self.max_shift
        N, C, H, W = dout.shape
        dpadded = workspace.zeros((N, C, H + 2 * sh, W + 2 * sw), self.dtype)
        for i, (dy, dx) in enumerate(self._shifts):
            dpadded[i, :, sh - dy : sh - dy + H, sw - dx : sw - dx + W] = dout[i]
        return dpadded[:, :, sh : sh + H, sw : sw + W]  # (N, C, H, W)

    def get_config(self) -> dict:
        return {"max_shift": list(self.max_shift), "seed": self.seed, **super().get_config()}
