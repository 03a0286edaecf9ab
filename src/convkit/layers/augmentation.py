"""RandomShift: random translation of images by whole pixels, a data augmentation active only in training."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _torch_converters as interop
from .._validation import input_ndim, int_pair, optional_seed
from ..functional import random_shift_backward, random_shift_forward
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
        out, self._cache = random_shift_forward(x, self.max_shift, training, self.rng)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return random_shift_backward(dout, self._cache)

    def get_config(self) -> dict:
        return {"max_shift": list(self.max_shift), "seed": self.seed, **super().get_config()}


# -- torch interop ---------------------------------------------------------------------------------------
@interop.to_torch_converter(RandomShift)
def _random_shift_to_torch(layer: RandomShift, torch):
    return torch.nn.Identity()  # a training-time augmentation: the identity at inference
