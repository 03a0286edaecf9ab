"""Activation layers: ReLU, LeakyReLU, Sigmoid, Tanh (elementwise) and Softmax (over the last axis).

Each registers itself in ``ACTIVATIONS`` under its ``activation=`` name (``"leaky_relu"``), so that Dense and
Conv2D accept it as their ``activation``.
"""

from __future__ import annotations

import numpy as np

from .. import _torch_converters as interop
from .._registry import add
from .._validation import non_negative_float
from ..functional import (
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax_backward,
    softmax_forward,
    tanh_backward,
    tanh_forward,
)
from .base import Layer
from .registry import register

ACTIVATIONS: dict[str, type[Layer]] = {}  # activation= name -> layer class


def activation(name: str):
    """Class decorator: the layer is what ``activation=name`` runs after a Dense or Conv2D kernel."""

    def decorator(cls: type[Layer]) -> type[Layer]:
        add(ACTIVATIONS, name, cls, "activation", "activation")
        return cls

    return decorator


@register
@activation("relu")
class ReLU(Layer):
    """max(x, 0), elementwise; any input shape."""

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = relu_forward(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return relu_backward(dout, self._cache)


@register
@activation("leaky_relu")
class LeakyReLU(Layer):
    """x where x > 0, else negative_slope * x, elementwise (torch.nn.LeakyReLU); any input shape."""

    def __init__(self, negative_slope: float = 0.01, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = non_negative_float(negative_slope, "negative_slope", "LeakyReLU")

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = leaky_relu_forward(x, self.negative_slope)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return leaky_relu_backward(dout, self._cache)

    def get_config(self) -> dict:
        return {"negative_slope": self.negative_slope, **super().get_config()}


@register
@activation("sigmoid")
class Sigmoid(Layer):
    """1 / (1 + exp(-x)), elementwise; any input shape."""

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = sigmoid_forward(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return sigmoid_backward(dout, self._cache)


@register
@activation("tanh")
class Tanh(Layer):
    """tanh(x), elementwise; any input shape."""

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = tanh_forward(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return tanh_backward(dout, self._cache)


@register
@activation("softmax")
class Softmax(Layer):
    """exp(x) / sum(exp(x)) over the last axis (torch.nn.Softmax(dim=-1)); stable for any magnitude.

    For training a classifier prefer logits with ``softmax_cross_entropy``; this layer is for outputs
    that must be probabilities.
    """

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = softmax_forward(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return softmax_backward(dout, self._cache)


# -- torch interop ---------------------------------------------------------------------------------------
@interop.to_torch_converter(ReLU)
def _relu_to_torch(layer: ReLU, torch):
    return torch.nn.ReLU()


@interop.to_torch_converter(LeakyReLU)
def _leaky_relu_to_torch(layer: LeakyReLU, torch):
    return torch.nn.LeakyReLU(layer.negative_slope)


@interop.to_torch_converter(Sigmoid)
def _sigmoid_to_torch(layer: Sigmoid, torch):
    return torch.nn.Sigmoid()


@interop.to_torch_converter(Tanh)
def _tanh_to_torch(layer: Tanh, torch):
    return torch.nn.Tanh()


@interop.to_torch_converter(Softmax)
def _softmax_to_torch(layer: Softmax, torch):
    return torch.nn.Softmax(dim=-1)


@interop.from_torch_converter("ReLU", "Sigmoid", "Tanh")
def _activation_from_torch(module, following, dtype: str, torch):
    layer_class = {"ReLU": ReLU, "Sigmoid": Sigmoid, "Tanh": Tanh}[type(module).__name__]
    return layer_class(dtype=dtype), {}, {}


@interop.from_torch_converter("LeakyReLU")
def _leaky_relu_from_torch(module, following, dtype: str, torch):
    return LeakyReLU(module.negative_slope, dtype=dtype), {}, {}


@interop.from_torch_converter("Softmax")
def _softmax_from_torch(module, following, dtype: str, torch):
    if module.dim not in (-1, 1):
        raise TypeError(f"from_torch: Softmax must be over the last axis. Received: {module}")
    return Softmax(dtype=dtype), {}, {}
