"""Dense: the fully connected layer, out = x @ weight + bias."""

from __future__ import annotations

from collections.abc import Sequence

from .. import _torch_converters as interop
from .._validation import input_ndim, positive_int
from ..functional import (
    affine_backward,
    affine_backward_input,
    affine_backward_weights,
    affine_forward,
    affine_relu_backward,
    affine_relu_backward_input,
    affine_relu_backward_weights,
    affine_relu_forward,
)
from ._kernel_layer import KernelLayer, KernelOps
from .registry import register


@register
class Dense(KernelLayer):
    """Fully connected layer: (N, in_features) -> (N, units).

    ``params["weight"]`` is (in_features, units), the functional affine layout (torch.nn.Linear's weight is
    its transpose), ``params["bias"]`` is (units,). Put a ``Flatten()`` before it for image inputs.
    See ``KernelLayer`` for ``activation`` (``"relu"`` is fused into the kernel), ``use_bias``,
    ``kernel_initializer``, ``weight_scale``, ``kernel_regularizer`` and ``seed``.
    """

    ops = {
        None: KernelOps(affine_forward, affine_backward, affine_backward_weights, affine_backward_input),
        "relu": KernelOps(
            affine_relu_forward,
            affine_relu_backward,
            affine_relu_backward_weights,
            affine_relu_backward_input,
        ),
    }

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = positive_int(units, "units", "Dense")

    def build(self, input_shape: Sequence[int]) -> None:
        input_shape = tuple(input_shape)
        self.compute_output_shape(input_shape)
        self.build_weights((input_shape[0], self.units))
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        input_ndim(input_shape, (1,), "in_features", "Dense", hint="; put a Flatten() before it for images")
        return (self.units,)

    def get_config(self) -> dict:
        return {"units": self.units, **super().get_config()}


# -- torch interop ---------------------------------------------------------------------------------------
@interop.to_torch_converter(Dense)
def _dense_to_torch(layer: Dense, torch):
    dtype = interop.torch_dtype(layer, torch)
    module = torch.nn.Linear(layer.input_shape[0], layer.units, bias="bias" in layer.params, dtype=dtype)
    interop.copy_into(module.weight, layer.params["weight"].T, torch)  # (in, out) -> (out, in)
    if "bias" in layer.params:
        interop.copy_into(module.bias, layer.params["bias"], torch)
    return module


@interop.from_torch_converter("Linear")
def _dense_from_torch(module, following, dtype: str, torch):
    layer = Dense(module.out_features, use_bias=module.bias is not None, dtype=dtype)
    params = {"weight": interop.to_numpy(module.weight).T}  # (out, in) -> (in, out)
    if module.bias is not None:
        params["bias"] = interop.to_numpy(module.bias)
    return layer, params, {}
