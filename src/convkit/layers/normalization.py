"""BatchNorm: batch normalization over (features,) inputs (BatchNorm1d) or (C, H, W) inputs (BatchNorm2d)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _torch_converters as interop
from .._validation import input_ndim, positive_float, unit_interval_float
from ..functional import batchnorm_backward, batchnorm_forward
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
    """

    def __init__(self, momentum: float = 0.1, eps: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.momentum = unit_interval_float(momentum, "momentum", "BatchNorm")
        self.eps = positive_float(eps, "eps", "BatchNorm")

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

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = batchnorm_forward(
            x,
            self.params["gamma"],
            self.params["beta"],
            self.state["running_mean"],
            self.state["running_var"],
            training=training,
            momentum=self.momentum,
            eps=self.eps,
        )
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dgamma, dbeta = batchnorm_backward(dout, self._cache)
        self.grads["gamma"] = dgamma
        self.grads["beta"] = dbeta
        return dx

    def get_config(self) -> dict:
        return {"momentum": self.momentum, "eps": self.eps, **super().get_config()}


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
