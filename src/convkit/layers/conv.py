"""Conv2D: 2-D convolution (cross-correlation, as torch.nn.Conv2d) over (C, H, W) inputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from .. import _torch_converters as interop
from .._validation import channels_last_hint, input_ndim, int_pair, keras_alias, positive_int
from ..functional import (
    conv2d_backward,
    conv2d_backward_input,
    conv2d_backward_weights,
    conv2d_forward,
    conv2d_relu_backward,
    conv2d_relu_backward_input,
    conv2d_relu_backward_weights,
    conv2d_relu_forward,
    conv_output_size,
)
from ._kernel_layer import KernelLayer, KernelOps
from .registry import register

IntOrPair = Union[int, Sequence[int]]


@register
class Conv2D(KernelLayer):
    """2-D convolution: (N, C, H, W) -> (N, filters, OH, OW), OH = (H + 2*ph - KH) // sh + 1, OW likewise.

    Arguments:
    - filters: number of output channels
    - kernel_size: int or (KH, KW)
    - stride: int or (sh, sw), default 1; ``strides`` is its Keras name (pass one of them)
    - padding: int or (ph, pw) zeros on both sides, ``"valid"`` (0) or ``"same"`` (output size = input
      size; needs stride 1 and odd kernel sizes, padding (K - 1) // 2)

    ``params["weight"]`` is (filters, C, KH, KW) (OIHW, as torch), ``params["bias"]`` is (filters,).
    See ``KernelLayer`` for ``activation`` (``"relu"`` is fused into the kernel), ``use_bias``,
    ``kernel_initializer``, ``weight_scale``, ``kernel_regularizer`` and ``seed``.
    """

    ops = {
        None: KernelOps(conv2d_forward, conv2d_backward, conv2d_backward_weights, conv2d_backward_input),
        "relu": KernelOps(
            conv2d_relu_forward,
            conv2d_relu_backward,
            conv2d_relu_backward_weights,
            conv2d_relu_backward_input,
        ),
    }

    def __init__(
        self,
        filters: int,
        kernel_size: IntOrPair,
        stride: IntOrPair | None = None,
        padding: IntOrPair | str = 0,
        *,
        strides: IntOrPair | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = positive_int(filters, "filters", "Conv2D")
        self.kernel_size = int_pair(kernel_size, "kernel_size", "Conv2D", minimum=1)
        stride = keras_alias(stride, strides, "stride", "strides", "Conv2D")
        self.stride = int_pair(1 if stride is None else stride, "stride", "Conv2D", minimum=1)
        if isinstance(padding, str):
            self._padding_keyword = padding.lower()
            if self._padding_keyword == "valid":
                self.padding = (0, 0)
            elif self._padding_keyword == "same":
                if self.stride != (1, 1):
                    raise ValueError(f"Conv2D: padding='same' needs stride 1. Received: stride={stride!r}")
                if self.kernel_size[0] % 2 == 0 or self.kernel_size[1] % 2 == 0:
                    raise ValueError(
                        "Conv2D: padding='same' needs an odd kernel_size with convkit's symmetric padding. "
                        f"Received: kernel_size={kernel_size!r}"
                    )
                self.padding = ((self.kernel_size[0] - 1) // 2, (self.kernel_size[1] - 1) // 2)
            else:
                raise ValueError(
                    "Conv2D: padding must be an int, a pair, 'valid' or 'same'. "
                    f"Received: padding={padding!r}"
                )
        else:
            self._padding_keyword = None
            self.padding = int_pair(padding, "padding", "Conv2D", minimum=0)

    def build(self, input_shape: Sequence[int]) -> None:
        input_shape = tuple(input_shape)
        self.compute_output_shape(input_shape)
        self.build_weights((self.filters, input_shape[0], *self.kernel_size))  # (F, C, KH, KW)
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        input_ndim(input_shape, (3,), "C, H, W", "Conv2D")
        _, H, W = input_shape
        (KH, KW), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        if KH > H + 2 * ph or KW > W + 2 * pw:
            hint = channels_last_hint(tuple(input_shape))
            raise ValueError(
                f"Conv2D: the kernel ({KH}, {KW}) must fit in the padded input ({H + 2 * ph}, {W + 2 * pw})."
                f"{hint} Received: input_shape={tuple(input_shape)}"
            )
        return (self.filters, conv_output_size(H, KH, sh, ph), conv_output_size(W, KW, sw, pw))

    def forward_arguments(self) -> dict:
        return {"stride": self.stride, "padding": self.padding}

    def get_config(self) -> dict:
        return {
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self._padding_keyword or list(self.padding),
            **super().get_config(),
        }


# -- torch interop ---------------------------------------------------------------------------------------
@interop.to_torch_converter(Conv2D)
def _conv2d_to_torch(layer: Conv2D, torch):
    module = torch.nn.Conv2d(
        layer.input_shape[0],
        layer.filters,
        layer.kernel_size,
        stride=layer.stride,
        padding=layer.padding,
        bias="bias" in layer.params,
        dtype=interop.torch_dtype(layer, torch),
    )
    interop.copy_into(module.weight, layer.params["weight"], torch)  # OIHW in both
    if "bias" in layer.params:
        interop.copy_into(module.bias, layer.params["bias"], torch)
    return module


@interop.from_torch_converter("Conv2d")
def _conv2d_from_torch(module, following, dtype: str, torch):
    if (
        module.groups != 1
        or interop.pair(module.dilation) != (1, 1)
        or module.padding_mode != "zeros"
        or isinstance(module.padding, str)
    ):
        raise TypeError(
            f"from_torch: Conv2d with groups, dilation or string padding is not supported: {module}"
        )
    layer = Conv2D(
        module.out_channels,
        module.kernel_size,
        stride=module.stride,
        padding=module.padding,
        use_bias=module.bias is not None,
        dtype=dtype,
    )
    params = {"weight": interop.to_numpy(module.weight)}
    if module.bias is not None:
        params["bias"] = interop.to_numpy(module.bias)
    return layer, params, {}
