"""Dropout: inverted dropout, active only in training."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _torch_converters as interop
from .._validation import optional_seed, unit_interval_float
from ..functional import dropout_backward, dropout_forward
from .base import Layer
from .registry import register


@register
class Dropout(Layer):
    """Zero each element with probability ``rate`` and scale the others by 1 / (1 - rate) when
    ``training=True``; the identity otherwise (torch.nn.Dropout). Any input shape.

    The masks come from ``np.random.default_rng(seed)``, created at build: ``self.seed`` may be set before
    the build (Sequential does, to make a model deterministic).
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.rate = unit_interval_float(rate, "rate", "Dropout")
        self.seed = optional_seed(seed, "seed", "Dropout")

    def build(self, input_shape: Sequence[int]) -> None:
        self.rng = np.random.default_rng(self.seed)
        super().build(input_shape)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = dropout_forward(x, self.rate, training, self.rng)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dropout_backward(np.asarray(dout, dtype=self.dtype), self._cache)

    def get_config(self) -> dict:
        return {"rate": self.rate, "seed": self.seed, **super().get_config()}


# -- torch interop ---------------------------------------------------------------------------------------
@interop.to_torch_converter(Dropout)
def _dropout_to_torch(layer: Dropout, torch):
    return torch.nn.Dropout(layer.rate)


@interop.from_torch_converter("Dropout")
def _dropout_from_torch(module, following, dtype: str, torch):
    return Dropout(module.p, dtype=dtype), {}, {}
