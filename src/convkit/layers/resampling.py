"""Resampling of (C, H, W) inputs: UpSampling2D (integer factors, nearest or bilinear) and ZeroPadding2D."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _torch_converters as interop
from .._validation import input_ndim, int_pair, one_of
from ..functional import (
    upsampling2d_backward,
    upsampling2d_forward,
    zero_padding2d_backward,
    zero_padding2d_forward,
)
from ..functional.resampling import INTERPOLATIONS, MAX_FACTOR, zero_padding
from .base import Layer
from .registry import register


@register
class UpSampling2D(Layer):
    """Upsampling by integer factors ``size`` (int or (sh, sw)): (N, C, H, W) -> (N, C, H * sh, W * sw),
    as torch.nn.Upsample(scale_factor=size, mode=interpolation) with align_corners=False;
    ``interpolation`` is "nearest" (each pixel repeated) or "bilinear"."""

    def __init__(self, size=2, interpolation: str = "nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = int_pair(size, "size", "UpSampling2D", minimum=1, maximum=MAX_FACTOR)
        self.interpolation = one_of(interpolation, INTERPOLATIONS, "interpolation", "UpSampling2D")

    def build(self, input_shape: Sequence[int]) -> None:
        self.compute_output_shape(tuple(input_shape))
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        input_ndim(input_shape, (3,), "C, H, W", "UpSampling2D")
        C, H, W = input_shape
        return (C, H * self.size[0], W * self.size[1])

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = upsampling2d_forward(x, self.size, self.interpolation)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return upsampling2d_backward(dout, self._cache)

    def get_config(self) -> dict:
        return {"size": list(self.size), "interpolation": self.interpolation, **super().get_config()}


@register
class ZeroPadding2D(Layer):
    """Zeros around H and W (Keras's ZeroPadding2D, torch.nn.ZeroPad2d): ``padding`` an int (all sides),
    (ph, pw) (symmetric) or ((top, bottom), (left, right))."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = zero_padding(padding, "ZeroPadding2D")

    def build(self, input_shape: Sequence[int]) -> None:
        self.compute_output_shape(tuple(input_shape))
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        input_ndim(input_shape, (3,), "C, H, W", "ZeroPadding2D")
        C, H, W = input_shape
        (top, bottom), (left, right) = self.padding
        return (C, top + H + bottom, left + W + right)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = zero_padding2d_forward(x, self.padding)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return zero_padding2d_backward(dout, self._cache)

    def get_config(self) -> dict:
        return {"padding": [list(pair) for pair in self.padding], **super().get_config()}


# -- torch interop ---------------------------------------------------------------------------------------
@interop.to_torch_converter(UpSampling2D)
def _upsampling_to_torch(layer: UpSampling2D, torch):
    return torch.nn.Upsample(scale_factor=layer.size, mode=layer.interpolation)


@interop.from_torch_converter("Upsample")
def _upsampling_from_torch(module, following, dtype: str, torch):
    factor = module.scale_factor
    factors = tuple(factor) if isinstance(factor, tuple) else (factor, factor)
    if (
        module.size is not None
        or module.mode not in INTERPOLATIONS
        or module.align_corners
        or not all(float(f).is_integer() for f in factors)
    ):
        raise TypeError(
            "from_torch: only Upsample with an integer scale_factor, mode 'nearest' or 'bilinear' and "
            f"align_corners=False is supported: {module}"
        )
    return UpSampling2D(tuple(int(f) for f in factors), module.mode, dtype=dtype), {}, {}


@interop.to_torch_converter(ZeroPadding2D)
def _zero_padding_to_torch(layer: ZeroPadding2D, torch):
    (top, bottom), (left, right) = layer.padding
    return torch.nn.ZeroPad2d((left, right, top, bottom))


@interop.from_torch_converter("ZeroPad2d")
def _zero_padding_from_torch(module, following, dtype: str, torch):
    left, right, top, bottom = module.padding
    if min(module.padding) < 0:
        raise TypeError(f"from_torch: ZeroPad2d with negative padding (a crop) is not supported: {module}")
    return ZeroPadding2D(((top, bottom), (left, right)), dtype=dtype), {}, {}
