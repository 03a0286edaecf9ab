"""Activation layers: ReLU, LeakyReLU, Sigmoid, Tanh, ELU, GELU, SiLU, Softplus, PReLU (elementwise) and
Softmax (over the last axis), with torch's formulas and defaults.

Each one without parameters registers itself in ``ACTIVATIONS`` under its ``activation=`` name
(``"leaky_relu"``), so that Dense and Conv2D accept it as their ``activation``; PReLU learns its slopes and
is a layer only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _torch_converters as interop
from .._registry import add
from .._validation import input_ndim, non_negative_float, one_of, positive_float, positive_int, real
from ..functional import (
    elu_backward,
    elu_forward,
    gelu_backward,
    gelu_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    prelu_backward,
    prelu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    silu_backward,
    silu_forward,
    softmax_backward,
    softmax_forward,
    softplus_backward,
    softplus_forward,
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


@register
@activation("elu")
class ELU(Layer):
    """x where x > 0, else alpha * (exp(x) - 1), elementwise (torch.nn.ELU); any input shape."""

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = real(alpha, "alpha", "ELU", wanted="a finite float")

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = elu_forward(x, self.alpha)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return elu_backward(dout, self._cache)

    def get_config(self) -> dict:
        return {"alpha": self.alpha, **super().get_config()}


@register
@activation("gelu")
class GELU(Layer):
    """x * Phi(x), Phi the standard normal CDF, elementwise (torch.nn.GELU); ``approximate="tanh"`` uses
    torch's tanh approximation. Any input shape."""

    def __init__(self, approximate: str = "none", **kwargs):
        super().__init__(**kwargs)
        self.approximate = one_of(approximate, ("none", "tanh"), "approximate", "GELU")

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = gelu_forward(x, self.approximate)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return gelu_backward(dout, self._cache)

    def get_config(self) -> dict:
        return {"approximate": self.approximate, **super().get_config()}


@register
@activation("silu")
class SiLU(Layer):
    """x * sigmoid(x), elementwise (torch.nn.SiLU, also called swish); any input shape."""

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = silu_forward(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return silu_backward(dout, self._cache)


@register
@activation("softplus")
class Softplus(Layer):
    """log(1 + exp(beta * x)) / beta, and x where beta * x > threshold (torch.nn.Softplus, defaults 1 and
    20); any input shape."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0, **kwargs):
        super().__init__(**kwargs)
        self.beta = positive_float(beta, "beta", "Softplus")
        self.threshold = real(threshold, "threshold", "Softplus", wanted="a finite float")

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = softplus_forward(x, self.beta, self.threshold)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return softplus_backward(dout, self._cache)

    def get_config(self) -> dict:
        return {"beta": self.beta, "threshold": self.threshold, **super().get_config()}


@register
class PReLU(Layer):
    """x where x > 0, else a * x, with learned slopes a (torch.nn.PReLU): ``num_parameters=1`` shares one
    slope, ``num_parameters=C`` learns one per channel (axis 1 of the input: features of a (N, C) input,
    channels of a (N, C, H, W) one). ``params = {"weight": full((num_parameters,), init)}``, torch's init
    0.25. Not an ``activation=`` name: its slopes are parameters of their own layer.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, **kwargs):
        super().__init__(**kwargs)
        self.num_parameters = positive_int(num_parameters, "num_parameters", "PReLU")
        self.init = real(init, "init", "PReLU", wanted="a finite float")

    def build(self, input_shape: Sequence[int]) -> None:
        input_shape = tuple(input_shape)
        self.compute_output_shape(input_shape)
        self.params = {"weight": np.full(self.num_parameters, self.init, self.dtype)}
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if self.num_parameters > 1:
            input_ndim(input_shape, (1, 2, 3), "C, ...", "PReLU")
            if input_shape[0] != self.num_parameters:
                raise ValueError(
                    f"PReLU: num_parameters must be 1 or the input's channels {input_shape[0]}. "
                    f"Received: num_parameters={self.num_parameters}"
                )
        return tuple(input_shape)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = prelu_forward(x, self.params["weight"])
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, self.grads["weight"] = prelu_backward(dout, self._cache)
        return dx

    def get_config(self) -> dict:
        return {"num_parameters": self.num_parameters, "init": self.init, **super().get_config()}


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


@interop.to_torch_converter(ELU)
def _elu_to_torch(layer: ELU, torch):
    return torch.nn.ELU(layer.alpha)


@interop.to_torch_converter(GELU)
def _gelu_to_torch(layer: GELU, torch):
    return torch.nn.GELU(approximate=layer.approximate)


@interop.to_torch_converter(SiLU)
def _silu_to_torch(layer: SiLU, torch):
    return torch.nn.SiLU()


@interop.to_torch_converter(Softplus)
def _softplus_to_torch(layer: Softplus, torch):
    return torch.nn.Softplus(beta=layer.beta, threshold=layer.threshold)


@interop.to_torch_converter(PReLU)
def _prelu_to_torch(layer: PReLU, torch):
    module = torch.nn.PReLU(layer.num_parameters, layer.init, dtype=interop.torch_dtype(layer, torch))
    interop.copy_into(module.weight, layer.params["weight"], torch)
    return module


@interop.from_torch_converter("ReLU", "Sigmoid", "Tanh", "SiLU")
def _activation_from_torch(module, following, dtype: str, torch):
    layer_class = {"ReLU": ReLU, "Sigmoid": Sigmoid, "Tanh": Tanh, "SiLU": SiLU}[type(module).__name__]
    return layer_class(dtype=dtype), {}, {}


@interop.from_torch_converter("ELU")
def _elu_from_torch(module, following, dtype: str, torch):
    return ELU(module.alpha, dtype=dtype), {}, {}


@interop.from_torch_converter("GELU")
def _gelu_from_torch(module, following, dtype: str, torch):
    return GELU(module.approximate, dtype=dtype), {}, {}


@interop.from_torch_converter("Softplus")
def _softplus_from_torch(module, following, dtype: str, torch):
    return Softplus(module.beta, module.threshold, dtype=dtype), {}, {}


@interop.from_torch_converter("PReLU")
def _prelu_from_torch(module, following, dtype: str, torch):
    weight = interop.to_numpy(module.weight)
    return PReLU(module.num_parameters, float(weight[0]), dtype=dtype), {"weight": weight}, {}


@interop.from_torch_converter("LeakyReLU")
def _leaky_relu_from_torch(module, following, dtype: str, torch):
    return LeakyReLU(module.negative_slope, dtype=dtype), {}, {}


@interop.from_torch_converter("Softmax")
def _softmax_from_torch(module, following, dtype: str, torch):
    if module.dim not in (-1, 1):
        raise TypeError(f"from_torch: Softmax must be over the last axis. Received: {module}")
    return Softmax(dtype=dtype), {}, {}
