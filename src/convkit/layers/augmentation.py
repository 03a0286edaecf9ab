"""Data augmentation layers, active only in training: RandomShift (translation by whole pixels),
RandomFlip (mirroring) and RandomCrop (pad, then crop a random window; a center crop at inference)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _torch_converters as interop
from .._validation import input_ndim, int_pair, one_of, optional_seed
from ..functional import (
    random_crop_backward,
    random_crop_forward,
    random_flip_backward,
    random_flip_forward,
    random_shift_backward,
    random_shift_forward,
)
from ..functional.crop import crop_offsets
from ..functional.flip import FLIP_MODES
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


@register
class RandomFlip(Layer):
    """Mirror each training image with probability 1/2: left-right (``mode="horizontal"``), upside down
    (``"vertical"``) or each independently (``"horizontal_and_vertical"``), as Keras' ``RandomFlip``; the
    identity in eval mode. Input (C, H, W). The flips come from ``np.random.default_rng(seed)``, created
    at build (Sequential seeds it).
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.mode = one_of(mode, FLIP_MODES, "mode", "RandomFlip")
        self.seed = optional_seed(seed, "seed", "RandomFlip")

    def build(self, input_shape: Sequence[int]) -> None:
        input_ndim(tuple(input_shape), (3,), "C, H, W", "RandomFlip")
        self.rng = np.random.default_rng(self.seed)
        super().build(input_shape)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = random_flip_forward(x, self.mode, training, self.rng)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return random_flip_backward(dout, self._cache)

    def get_config(self) -> dict:
        return {"mode": self.mode, "seed": self.seed, **super().get_config()}


@register
class RandomCrop(Layer):
    """Pad each training image with ``padding`` zeros on every side, then cut a random ``size`` window
    (CIFAR's ``RandomCrop(32, padding=4)``, as torchvision's); in eval mode the center crop of the image,
    or the image itself when ``size`` is its size. Input (C, H, W), output (C, h, w) with (h, w) <= (H, W).
    The offsets come from ``np.random.default_rng(seed)``, created at build (Sequential seeds it).
    """

    def __init__(
        self, size: int | Sequence[int], padding: int | Sequence[int] = 0, seed: int | None = None, **kwargs
    ):
        super().__init__(**kwargs)
        self.size = int_pair(size, "size", "RandomCrop", minimum=1)
        self.padding = int_pair(padding, "padding", "RandomCrop", minimum=0)
        self.seed = optional_seed(seed, "seed", "RandomCrop")

    def build(self, input_shape: Sequence[int]) -> None:
        input_shape = tuple(input_shape)
        input_ndim(input_shape, (3,), "C, H, W", "RandomCrop")
        if self.size[0] > input_shape[1] or self.size[1] > input_shape[2]:
            raise ValueError(
                f"RandomCrop: size must be at most the input's (H, W)={input_shape[1:]}. "
                f"Received: size={self.size}"
            )
        self.rng = np.random.default_rng(self.seed)
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (input_shape[0], *self.size)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = random_crop_forward(x, self.size, self.padding, training, self.rng)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return random_crop_backward(dout, self._cache)

    def get_config(self) -> dict:
        return {
            "size": list(self.size),
            "padding": list(self.padding),
            "seed": self.seed,
            **super().get_config(),
        }


# -- torch interop ---------------------------------------------------------------------------------------
@interop.to_torch_converter(RandomShift)
def _random_shift_to_torch(layer: RandomShift, torch):
    return torch.nn.Identity()  # a training-time augmentation: the identity at inference


@interop.to_torch_converter(RandomFlip)
def _random_flip_to_torch(layer: RandomFlip, torch):
    return torch.nn.Identity()  # a training-time augmentation: the identity at inference


@interop.to_torch_converter(RandomCrop)
def _random_crop_to_torch(layer: RandomCrop, torch):
    """The inference-time center crop, as ``ZeroPad2d`` with negative (cropping) padding."""
    (H, W), (h, w) = layer.input_shape[1:], layer.size
    top, left = crop_offsets((H, W), (h, w))
    if (h, w) == (H, W):
        return torch.nn.Identity()
    return torch.nn.ZeroPad2d((-left, -(W - w - left), -top, -(H - h - top)))
