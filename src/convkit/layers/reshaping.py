"""Flatten: (N, d1, ..., dk) -> (N, d1*...*dk), e.g. between the convolutions and the Dense head."""

from __future__ import annotations

import math

import numpy as np

from .. import _torch_converters as interop
from .base import Layer
from .registry import register


@register
class Flatten(Layer):
    """Flattens every axis but the batch one, in C order (torch.nn.Flatten): (N, C, H, W) -> (N, C*H*W)."""

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (math.prod(input_shape),)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        self._x_shape = x.shape
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))  # (N, d1*...*dk)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout = np.asarray(dout, dtype=self.dtype)
        flat_shape = (self._x_shape[0], math.prod(self._x_shape[1:]))
        if dout.shape != flat_shape:
            raise ValueError(
                f"{self.name}: dout must have shape {flat_shape}. Received: dout.shape={dout.shape}"
            )
        return dout.reshape(self._x_shape)  # (N, d1, ..., dk)


# -- torch interop ---------------------------------------------------------------------------------------
@interop.to_torch_converter(Flatten)
def _flatten_to_torch(layer: Flatten, torch):
    return torch.nn.Flatten()


@interop.from_torch_converter("Flatten")
def _flatten_from_torch(module, following, dtype: str, torch):
    return Flatten(dtype=dtype), {}, {}
