"""Normalization layers: BatchNorm over (features,) inputs (BatchNorm1d) or (C, H, W) inputs (BatchNorm2d),
LayerNorm over every non-batch axis and GroupNorm over groups of channels, as torch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _torch_converters as interop
from .._validation import input_ndim, positive_float, positive_int, unit_interval_float
from ..functional import (
    batchnorm_add_relu_backward,
    batchnorm_add_relu_forward,
    batchnorm_backward,
    batchnorm_forward,
    batchnorm_relu_backward,
    batchnorm_relu_forward,
    groupnorm_backward,
    groupnorm_forward,
    layernorm_backward,
    layernorm_forward,
)
from .activations import ReLU
from .base import Layer
from .registry import register


@register
class BatchNorm(Layer):
    """Batch normalization with torch.nn.BatchNorm1d/2d semantics, per feature / channel C.

    - (N, C) after Dense, or (N, C, H, W) after Conv2D (statistics over N, H, W)
    - ``params = {"gamma": ones (C,), "beta": zeros (C,)}``
    - ``state = {"running_mean": zeros (C,), "running_var": ones (C,)}``
    - ``training=True`` normalizes with the batch statistics and updates the running ones in place:
      running = (1 - momentum) * running + momentum * batch_stat (unbiased variance), as torch;
      ``training=False`` normalizes with the running statistics.
    - ``activation="relu"``: max(output, 0) fused into the normalization, the same values and gradients as
      a ``ReLU()`` layer after it with one pass fewer over memory each way (the conv-BN-ReLU of ResNets
      and MobileNets); ``to_torch`` writes it as ``BatchNorm2d``, ``ReLU``.
    """

    def __init__(self, momentum: float = 0.1, eps: float = 1e-5, activation: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.momentum = unit_interval_float(momentum, "momentum", "BatchNorm")
        self.eps = positive_float(eps, "eps", "BatchNorm")
        if activation not in (None, "linear", "relu"):
            raise ValueError(
                "BatchNorm: activation must be None, 'linear' or 'relu' (fused). "
                f"Received: activation={activation!r}"
            )
        self.activation = None if activation == "linear" else activation

    def build(self, input_shape: Sequence[int]) -> None:
        input_shape = tuple(input_shape)
        self.compute_output_shape(input_shape)
        channels = input_shape[0]
        self.params = {"gamma": np.ones(channels, self.dtype), "beta": np.zeros(channels, self.dtype)}
        self.state = {
            "running_mean": np.zeros(channels, self.dtype),
            "running_var": np.ones(channels, self.dtype),
        }
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        input_ndim(input_shape, (1, 3), "features) or (N, C, H, W", "BatchNorm")
        return tuple(input_shape)

    @property
    def activation_layer(self) -> Layer | None:
        """The fused ReLU as a layer of its own (what ``to_torch`` writes after the batch norm), or None."""
        if self.activation is None:
            return None
        return ReLU(name=f"{self.name}_relu", dtype=self.dtype)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        forward = batchnorm_forward if self.activation is None else batchnorm_relu_forward
        out, self._cache = forward(
            x, *self._arguments(), training=training, momentum=self.momentum, eps=self.eps
        )
        return out

    def forward_add_relu(self, x, residual, training: bool) -> np.ndarray:
        """max(this batch norm of x + residual, 0) in one pass: the end of a ``Residual`` with
        ``activation="relu"`` whose block ends with this (activation-free) batch norm. The backward pass
        is ``backward_add_relu``."""
        if self.activation is not None:
            raise ValueError(f"{self.name}: a batch norm with an activation adds no residual after it")
        out, self._cache = batchnorm_add_relu_forward(
            self.checked_input(x),
            residual,
            *self._arguments(),
            training=training,
            momentum=self.momentum,
            eps=self.eps,
        )
        return out

    def _arguments(self) -> tuple[np.ndarray, ...]:
        """gamma, beta, running mean and running variance: what every forward pass takes."""
        return (
            self.params["gamma"],
            self.params["beta"],
            self.state["running_mean"],
            self.state["running_var"],
        )

    def inference_affine(self) -> tuple[np.ndarray, np.ndarray]:
        """(scale, shift), float64 (C,): what inference does to each channel, out = x * scale + shift with
        the running statistics (before the fused ReLU, if any)."""
        scale = self.params["gamma"] / np.sqrt(self.state["running_var"].astype(np.float64) + self.eps)
        return scale, self.params["beta"] - self.state["running_mean"] * scale

    def backward(self, dout: np.ndarray) -> np.ndarray:
        backward = batchnorm_backward if self.activation is None else batchnorm_relu_backward
        dx, dgamma, dbeta = backward(dout, self._cache)
        self.grads["gamma"] = dgamma
        self.grads["beta"] = dbeta
        return dx

    def backward_add_relu(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(dx, dresidual) of the last ``forward_add_relu``; the parameter gradients go to ``grads``."""
        dx, dresidual, dgamma, dbeta = batchnorm_add_relu_backward(dout, self._cache)
        self.grads["gamma"] = dgamma
        self.grads["beta"] = dbeta
        return dx, dresidual

    def get_config(self) -> dict:
        return {
            "momentum": self.momentum,
            "eps": self.eps,
            "activation": self.activation,
            **super().get_config(),
        }


@register
class LayerNorm(Layer):
    """Layer normalization over every non-batch axis (torch.nn.LayerNorm(input_shape)): each sample is
    normalized by its own mean and biased variance, then scaled and shifted per element.

    - any input shape (d1, ..., dk): (features,) after Dense, (C, H, W) after Conv2D
    - ``params = {"weight": ones (d1, ..., dk), "bias": zeros (d1, ..., dk)}``, torch's shapes
    - the same computation in training and inference (no running statistics)
    """

    def __init__(self, eps: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.eps = positive_float(eps, "eps", "LayerNorm")

    def build(self, input_shape: Sequence[int]) -> None:
        input_shape = tuple(input_shape)
        self.params = {"weight": np.ones(input_shape, self.dtype), "bias": np.zeros(input_shape, self.dtype)}
        super().build(input_shape)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = layernorm_forward(x, self.params["weight"], self.params["bias"], self.eps)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, self.grads["weight"], self.grads["bias"] = layernorm_backward(dout, self._cache)
        return dx

    def get_config(self) -> dict:
        return {"eps": self.eps, **super().get_config()}


@register
class GroupNorm(Layer):
    """Group normalization (torch.nn.GroupNorm(num_groups, C)): the C channels split into ``num_groups``
    groups, each normalized per sample over its channels and positions, then scaled and shifted per channel.

    - (C,) or (C, H, W) inputs, C divisible by ``num_groups`` (1: one group, as LayerNorm over (C, H, W)
      with per-channel parameters; C: instance normalization)
    - ``params = {"weight": ones (C,), "bias": zeros (C,)}``
    """

    def __init__(self, num_groups: int, eps: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.num_groups = positive_int(num_groups, "num_groups", "GroupNorm")
        self.eps = positive_float(eps, "eps", "GroupNorm")

    def build(self, input_shape: Sequence[int]) -> None:
        input_shape = tuple(input_shape)
        self.compute_output_shape(input_shape)
        channels = input_shape[0]
        self.params = {"weight": np.ones(channels, self.dtype), "bias": np.zeros(channels, self.dtype)}
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        input_ndim(input_shape, (1, 2, 3), "C, ...", "GroupNorm")
        if input_shape[0] % self.num_groups:
            raise ValueError(
                f"GroupNorm: num_groups must divide the input's channels {input_shape[0]}. "
                f"Received: num_groups={self.num_groups}"
            )
        return tuple(input_shape)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = groupnorm_forward(
            x, self.params["weight"], self.params["bias"], self.num_groups, self.eps
        )
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, self.grads["weight"], self.grads["bias"] = groupnorm_backward(dout, self._cache)
        return dx

    def get_config(self) -> dict:
        return {"num_groups": self.num_groups, "eps": self.eps, **super().get_config()}


# -- torch interop ---------------------------------------------------------------------------------------
@interop.to_torch_converter(BatchNorm)
def _batchnorm_to_torch(layer: BatchNorm, torch):
    module_class = torch.nn.BatchNorm1d if len(layer.input_shape) == 1 else torch.nn.BatchNorm2d
    module = module_class(
        layer.input_shape[0], eps=layer.eps, momentum=layer.momentum, dtype=interop.torch_dtype(layer, torch)
    )
    interop.copy_into(module.weight, layer.params["gamma"], torch)
    interop.copy_into(module.bias, layer.params["beta"], torch)
    interop.copy_into(module.running_mean, layer.state["running_mean"], torch)
    interop.copy_into(module.running_var, layer.state["running_var"], torch)
    return module


@interop.from_torch_converter("BatchNorm1d", "BatchNorm2d")
def _batchnorm_from_torch(module, following, dtype: str, torch):
    if not module.affine or not module.track_running_stats or module.momentum is None:
        raise TypeError(f"from_torch: only affine BatchNorm with running stats and a momentum: {module}")
    layer = BatchNorm(momentum=module.momentum, eps=module.eps, dtype=dtype)
    params = {"gamma": interop.to_numpy(module.weight), "beta": interop.to_numpy(module.bias)}
    state = {
        "running_mean": interop.to_numpy(module.running_mean),
        "running_var": interop.to_numpy(module.running_var),
    }
    return layer, params, state


@interop.to_torch_converter(LayerNorm)
def _layernorm_to_torch(layer: LayerNorm, torch):
    module = torch.nn.LayerNorm(layer.input_shape, eps=layer.eps, dtype=interop.torch_dtype(layer, torch))
    interop.copy_into(module.weight, layer.params["weight"], torch)
    interop.copy_into(module.bias, layer.params["bias"], torch)
    return module


@interop.from_torch_converter("LayerNorm")
def _layernorm_from_torch(module, following, dtype: str, torch):
    if not module.elementwise_affine or module.bias is None:
        raise TypeError(f"from_torch: only LayerNorm with a weight and a bias is supported: {module}")
    params = {"weight": interop.to_numpy(module.weight), "bias": interop.to_numpy(module.bias)}
    return LayerNorm(eps=module.eps, input_shape=module.normalized_shape, dtype=dtype), params, {}


@interop.to_torch_converter(GroupNorm)
def _groupnorm_to_torch(layer: GroupNorm, torch):
    module = torch.nn.GroupNorm(
        layer.num_groups, layer.input_shape[0], eps=layer.eps, dtype=interop.torch_dtype(layer, torch)
    )
    interop.copy_into(module.weight, layer.params["weight"], torch)
    interop.copy_into(module.bias, layer.params["bias"], torch)
    return module


@interop.from_torch_converter("GroupNorm")
def _groupnorm_from_torch(module, following, dtype: str, torch):
    if not module.affine:
        raise TypeError(f"from_torch: only affine GroupNorm is supported: {module}")
    params = {"weight": interop.to_numpy(module.weight), "bias": interop.to_numpy(module.bias)}
    return GroupNorm(module.num_groups, eps=module.eps, dtype=dtype), params, {}
