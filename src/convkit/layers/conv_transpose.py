"""Conv2DTranspose: transposed 2-D convolution (as torch.nn.ConvTranspose2d) over (C, H, W) inputs."""

from __future__ import annotations

from collections.abc import Sequence

from .. import _torch_converters as interop
from .._validation import input_ndim, int_pair, keras_alias, positive_int
from ..functional import (
    conv_transpose2d_backward,
    conv_transpose2d_backward_input,
    conv_transpose2d_backward_weights,
    conv_transpose2d_forward,
)
from ..functional.conv_transpose import conv_transpose_output_size
from ._kernel_layer import KernelLayer, KernelOps
from .conv import IntOrPair
from .registry import register


@register
class Conv2DTranspose(KernelLayer):
    """Transposed 2-D convolution (the adjoint of ``Conv2D``, torch.nn.ConvTranspose2d): (N, C, H, W) ->
    (N, filters, OH, OW), OH = (H - 1)*sh - 2*ph + dh*(KH - 1) + oph + 1, OW likewise.

    Arguments:
    - filters: number of output channels
    - kernel_size: int or (KH, KW)
    - stride: int or (sh, sw), default 1; ``strides`` is its Keras name (pass one of them)
    - padding: int or (ph, pw), default 0: rows/columns removed from each side of the full output
    - output_padding: int or (oph, opw), default 0, each smaller than its stride or dilation: rows/columns
      added below and right
    - dilation: int or (dh, dw), default 1
    - groups: default 1; C and filters split into this many groups

    ``params["weight"]`` is (C, filters // groups, KH, KW) (as torch), ``params["bias"]`` is (filters,).
    See ``KernelLayer`` for ``activation``, ``use_bias``, ``kernel_initializer``, ``weight_scale``,
    ``kernel_regularizer`` and ``seed``.
    """

    ops = {
        None: KernelOps(
            conv_transpose2d_forward,
            conv_transpose2d_backward,
            conv_transpose2d_backward_weights,
            conv_transpose2d_backward_input,
        )
    }

    def __init__(
        self,
        filters: int,
        kernel_size: IntOrPair,
        stride: IntOrPair | None = None,
        padding: IntOrPair = 0,
        output_padding: IntOrPair = 0,
        dilation: IntOrPair = 1,
        groups: int = 1,
        *,
        strides: IntOrPair | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        where = "Conv2DTranspose"
        self.filters = positive_int(filters, "filters", where)
        self.kernel_size = int_pair(kernel_size, "kernel_size", where, minimum=1)
        stride = keras_alias(stride, strides, "stride", "strides", where)
        self.stride = int_pair(1 if stride is None else stride, "stride", where, minimum=1)
        self.padding = int_pair(padding, "padding", where, minimum=0)
        self.output_padding = int_pair(output_padding, "output_padding", where, minimum=0)
        self.dilation = int_pair(dilation, "dilation", where, minimum=1)
        self.groups = positive_int(groups, "groups", where)
        if self.filters % self.groups:
            raise ValueError(
                f"{where}: groups must divide filters. Received: groups={groups!r}, filters={filters!r}"
            )
        if any(op >= max(s, d) for op, s, d in zip(self.output_padding, self.stride, self.dilation)):
            raise ValueError(
                f"{where}: output_padding must be smaller than stride or dilation. Received: "
                f"output_padding={output_padding!r}, stride={self.stride}, dilation={self.dilation}"
            )

    def build(self, input_shape: Sequence[int]) -> None:
        input_shape = tuple(input_shape)
        self.compute_output_shape(input_shape)
        # (C, F // groups, KH, KW)
        self.build_weights((input_shape[0], self.filters // self.groups, *self.kernel_size), self.filters)
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        input_ndim(input_shape, (3,), "C, H, W", "Conv2DTranspose")
        C, H, W = input_shape
        if C % self.groups:
            raise ValueError(
                f"Conv2DTranspose: groups must divide the input channels. Received: groups={self.groups}, "
                f"input_shape={tuple(input_shape)}"
            )
        size = [
            conv_transpose_output_size(n, *args)
            for n, *args in zip(
                (H, W), self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation
            )
        ]
        if min(size) < 1:
            raise ValueError(
                f"Conv2DTranspose: padding={self.padding} leaves an empty output {tuple(size)}. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        return (self.filters, *size)

    def forward_arguments(self) -> dict:
        return {
            "stride": self.stride,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "dilation": self.dilation,
            "groups": self.groups,
        }

    def get_config(self) -> dict:
        return {
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            "output_padding": list(self.output_padding),
            "dilation": list(self.dilation),
            "groups": self.groups,
            **super().get_config(),
        }


# -- torch interop ---------------------------------------------------------------------------------------
@interop.to_torch_converter(Conv2DTranspose)
def _conv2d_transpose_to_torch(layer: Conv2DTranspose, torch):
    module = torch.nn.ConvTranspose2d(
        layer.input_shape[0],
        layer.filters,
        layer.kernel_size,
        stride=layer.stride,
        padding=layer.padding,
        output_padding=layer.output_padding,
        groups=layer.groups,
        dilation=layer.dilation,
        bias="bias" in layer.params,
        dtype=interop.torch_dtype(layer, torch),
    )
    interop.copy_into(module.weight, layer.params["weight"], torch)  # (C, F // groups, KH, KW) in both
    if "bias" in layer.params:
        interop.copy_into(module.bias, layer.params["bias"], torch)
    return module


@interop.from_torch_converter("ConvTranspose2d")
def _conv2d_transpose_from_torch(module, following, dtype: str, torch):
    if module.padding_mode != "zeros" or isinstance(module.padding, str):
        raise TypeError(f"from_torch: ConvTranspose2d with padding_mode other than 'zeros': {module}")
    layer = Conv2DTranspose(
        module.out_channels,
        module.kernel_size,
        stride=module.stride,
        padding=module.padding,
        output_padding=module.output_padding,
        dilation=module.dilation,
        groups=module.groups,
        use_bias=module.bias is not None,
        dtype=dtype,
    )
    return layer, interop.weight_and_bias(module), {}
