"""Preprocessing layers: Rescaling (x * scale + offset) and Normalization (per-channel mean and std).

torch has no module for either, so ``to_torch`` gives each a tiny module of the same name doing the same
arithmetic (``from_torch`` converts those modules back).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _torch_converters as interop
from .._validation import is_real, real
from ..functional import normalization_backward, normalization_forward, rescaling_backward, rescaling_forward
from .base import Layer
from .registry import register


@register
class Rescaling(Layer):
    """out = x * scale + offset, as Keras' ``Rescaling`` (``Rescaling(1 / 255)`` for 8-bit pixels, or
    ``Rescaling(1 / 127.5, offset=-1)`` for [-1, 1]). Any input shape; in training and inference alike."""

    def __init__(self, scale: float, offset: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = real(scale, "scale", "Rescaling", wanted="a finite float")
        self.offset = real(offset, "offset", "Rescaling", wanted="a finite float")

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = rescaling_forward(x, self.scale, self.offset)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return rescaling_backward(dout, self._cache)

    def get_config(self) -> dict:
        return {"scale": self.scale, "offset": self.offset, **super().get_config()}


def _channel_values(value, name: str) -> list[float]:
    """A float or a non-empty sequence of floats, as a list."""
    values = [value] if is_real(value) else value
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(
            f"Normalization: {name} must be a float or a sequence of floats. Received: {name}={value!r}"
        )
    values = list(values)
    if not values or not all(is_real(v) for v in values):
        raise TypeError(
            f"Normalization: {name} must be a float or a sequence of floats. Received: {name}={value!r}"
        )
    return [float(v) for v in values]


@register
class Normalization(Layer):
    """out[:, c] = (x[:, c] - mean[c]) / std[c] with fixed statistics, as torchvision's ``Normalize``
    (``Normalization(mean=(0.4914, 0.4822, 0.4465), std=(0.247, 0.243, 0.261))`` for CIFAR-10). ``mean``
    and ``std`` are a float (every channel) or one value per channel (axis 1: C of (C, H, W))."""

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float], **kwargs):
        super().__init__(**kwargs)
        self.mean = _channel_values(mean, "mean")
        self.std = _channel_values(std, "std")
        if min(self.std) <= 0:
            raise ValueError(f"Normalization: std must hold positive values. Received: std={std!r}")

    def build(self, input_shape: Sequence[int]) -> None:
        channels = tuple(input_shape)[0] if len(input_shape) else 0
        for name, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, channels):
                raise ValueError(
                    f"Normalization: {name} must hold 1 or {channels} values (one per channel of the input "
                    f"{tuple(input_shape)}). Received: {name}={values}"
                )
        super().build(input_shape)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = normalization_forward(x, self.mean, self.std)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return normalization_backward(dout, self._cache)

    def get_config(self) -> dict:
        return {"mean": list(self.mean), "std": list(self.std), **super().get_config()}


# -- torch interop ---------------------------------------------------------------------------------------
def _module_classes(torch):
    """torch modules for ``Rescaling`` and ``Normalization``, with the values as float attributes."""

    class Rescaling(torch.nn.Module):
        def __init__(self, scale: float, offset: float):
            super().__init__()
            self.scale, self.offset = scale, offset

        def forward(self, x):
            return x * self.scale + self.offset

    class Normalization(torch.nn.Module):
        def __init__(self, mean: list[float], std: list[float]):
            super().__init__()
            self.mean, self.std = mean, std

        def forward(self, x):
            shape = (1, -1) + (1,) * (x.dim() - 2)  # (1, C, 1, ..., 1)
            mean = torch.tensor(self.mean, dtype=x.dtype).reshape(shape)
            return (x - mean) / torch.tensor(self.std, dtype=x.dtype).reshape(shape)

    return Rescaling, Normalization


@interop.to_torch_converter(Rescaling)
def _rescaling_to_torch(layer: Rescaling, torch):
    return _module_classes(torch)[0](layer.scale, layer.offset)


@interop.to_torch_converter(Normalization)
def _normalization_to_torch(layer: Normalization, torch):
    return _module_classes(torch)[1](layer.mean, layer.std)


@interop.from_torch_converter("Rescaling")
def _rescaling_from_torch(module, following, dtype: str, torch):
    return Rescaling(module.scale, module.offset, dtype=dtype), {}, {}


@interop.from_torch_converter("Normalization")
def _normalization_from_torch(module, following, dtype: str, torch):
    return Normalization(module.mean, module.std, dtype=dtype), {}, {}
