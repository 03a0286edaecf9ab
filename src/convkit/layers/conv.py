"""Conv2D: 2-D convolution (cross-correlation, as torch.nn.Conv2d) over (C, H, W) inputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import numpy as np

from .. import _torch_converters as interop
from .._validation import channels_last_hint, input_ndim, int_pair, keras_alias, positive_int
from ..functional import (
    conv2d_add_relu_forward,
    conv2d_backward,
    conv2d_backward_input,
    conv2d_backward_weights,
    conv2d_forward,
    conv2d_relu_backward,
    conv2d_relu_backward_input,
    conv2d_relu_backward_weights,
    conv2d_relu_forward,
)
from ..functional.conv import same_padding
from ._kernel_layer import KernelLayer, KernelOps
from .registry import register

IntOrPair = Union[int, Sequence[int]]


@register
class Conv2D(KernelLayer):
    """2-D convolution: (N, C, H, W) -> (N, filters, OH, OW), OH = (H + 2*ph - dh*(KH - 1) - 1) // sh + 1,
    OW likewise (torch.nn.Conv2d).

    Arguments:
    - filters: number of output channels
    - kernel_size: int or (KH, KW)
    - stride: int or (sh, sw), default 1; ``strides`` is its Keras name (pass one of them)
    - padding: int or (ph, pw) zeros on both sides, ``"valid"`` (0) or ``"same"`` (output ceil(H / sh) x
      ceil(W / sw), any stride and dilation: torch's rule for stride 1, Keras's for stride > 1, an odd
      total of zeros putting the extra one below or right; see ``functional.same_padding``)
    - dilation: int or (dh, dw), default 1: the spacing of the kernel taps
    - groups: default 1; C and filters split into this many groups, each group's filters seeing only
      its own C // groups channels (groups = C: a depthwise convolution)

    ``params["weight"]`` is (filters, C // groups, KH, KW) (OIHW, as torch), ``params["bias"]`` is (filters,).
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
        dilation: IntOrPair = 1,
        groups: int = 1,
        *,
        strides: IntOrPair | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = positive_int(filters, "filters", "Conv2D")
        self._set_window(
            kernel_size, keras_alias(stride, strides, "stride", "strides", "Conv2D"), padding, dilation
        )
        self.groups = positive_int(groups, "groups", "Conv2D")
        if self.filters % self.groups:
            raise ValueError(
                f"Conv2D: groups must divide filters. Received: groups={groups!r}, filters={filters!r}"
            )

    def _set_window(self, kernel_size, stride, padding, dilation) -> None:
        """Check and set kernel_size, stride, padding and dilation (shared with ``DepthwiseConv2D``)."""
        where = type(self).__name__
        self.kernel_size = int_pair(kernel_size, "kernel_size", where, minimum=1)
        self.stride = int_pair(1 if stride is None else stride, "stride", where, minimum=1)
        self.dilation = int_pair(dilation, "dilation", where, minimum=1)
        if isinstance(padding, str):
            self._padding_keyword = padding.lower()
            if self._padding_keyword == "valid":
                self.padding = (0, 0)
            elif self._padding_keyword == "same":
                self.padding = self._same_padding()
            else:
                raise ValueError(
                    f"{where}: padding must be an int, a pair, 'valid' or 'same'. "
                    f"Received: padding={padding!r}"
                )
        else:
            self._padding_keyword = None
            self.padding = int_pair(padding, "padding", where, minimum=0)

    def filters_and_groups(self, channels: int) -> tuple[int, int]:
        """(filters, groups) for an input of ``channels`` channels."""
        return self.filters, self.groups

    def _same_padding(self) -> tuple[int, int] | str:
        """``"same"`` as the symmetric pair it is for stride 1 and an even total of zeros per axis (the
        kernels pad it themselves), else ``"same"`` (decided per input size by the functional op)."""
        if self.stride != (1, 1):
            return "same"
        totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
        if any(t % 2 for t in totals):
            return "same"
        return (totals[0] // 2, totals[1] // 2)

    def build(self, input_shape: Sequence[int]) -> None:
        input_shape = tuple(input_shape)
        self.compute_output_shape(input_shape)
        self.filters, self.groups = self.filters_and_groups(input_shape[0])
        # (F, C // groups, KH, KW)
        self.build_weights((self.filters, input_shape[0] // self.groups, *self.kernel_size))
        super().build(input_shape)

    def explicit_padding(self, input_shape: Sequence[int]) -> tuple[tuple[int, int], tuple[int, int]]:
        """((top, bottom), (left, right)): the zeros around a (C, H, W) input."""
        if self.padding == "same":
            return tuple(
                same_padding(n, k, s, d)
                for n, k, s, d in zip(input_shape[1:], self.kernel_size, self.stride, self.dilation)
            )
        return tuple((p, p) for p in self.padding)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        where = type(self).__name__
        input_ndim(input_shape, (3,), "C, H, W", where)
        C, H, W = input_shape
        filters, groups = self.filters_and_groups(C)
        if C % groups:
            raise ValueError(
                f"{where}: groups must divide the input channels. Received: groups={groups}, "
                f"input_shape={tuple(input_shape)}"
            )
        (KH, KW), (sh, sw), (dh, dw) = self.kernel_size, self.stride, self.dilation
        (t, b), (left, right) = self.explicit_padding(input_shape)
        EH, EW = dh * (KH - 1) + 1, dw * (KW - 1) + 1
        if EH > H + t + b or EW > W + left + right:
            hint = channels_last_hint(tuple(input_shape))
            dilated = f", dilated to ({EH}, {EW})," if (dh, dw) != (1, 1) else ""
            raise ValueError(
                f"{where}: the kernel ({KH}, {KW}){dilated} must fit in the padded input "
                f"({H + t + b}, {W + left + right}).{hint} Received: input_shape={tuple(input_shape)}"
            )
        return (filters, (H + t + b - EH) // sh + 1, (W + left + right - EW) // sw + 1)

    def forward_arguments(self) -> dict:
        return {
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "groups": self.groups,
        }

    def forward_folded(
        self, x, scale: np.ndarray, shift: np.ndarray, relu: bool, residual: np.ndarray | None = None
    ) -> np.ndarray:
        """For inference: this convolution (without activation) followed by ``out * scale + shift`` per
        output channel (a batch norm's running statistics), then max(., 0) with ``relu``, as one
        convolution whose kernel and bias carry the affine map. With a residual (an array of the output's
        shape, ``relu`` True: a residual block's shortcut), max(. + residual, 0), the sum and the ReLU in
        the convolution's pass (``conv2d_add_relu_forward``)."""
        if self.activation is not None:
            raise ValueError(f"{self.name}: a convolution with an activation folds no affine map after it")
        if residual is not None and not relu:
            raise ValueError(f"{self.name}: a residual is added before a ReLU. Received: relu={relu}")
        x = self.checked_input(x)
        weight = self.params["weight"] * scale.reshape(-1, 1, 1, 1)  # (F, C // groups, KH, KW)
        weight = weight.astype(self.dtype)
        bias = (self.bias * scale + shift).astype(self.dtype)  # (F,)
        if residual is not None:
            out, _ = conv2d_add_relu_forward(x, weight, bias, residual, **self.forward_arguments())
            return out
        out, _ = self.ops["relu" if relu else None].forward(x, weight, bias, **self.forward_arguments())
        return out

    def get_config(self) -> dict:
        return {
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self._padding_keyword or list(self.padding),
            "dilation": list(self.dilation),
            "groups": self.groups,
            **super().get_config(),
        }


# -- torch interop ---------------------------------------------------------------------------------------
@interop.to_torch_converter(Conv2D)
def _conv2d_to_torch(layer: Conv2D, torch):
    (top, bottom), (left, right) = layer.explicit_padding(layer.input_shape)
    symmetric = top == bottom and left == right
    module = torch.nn.Conv2d(
        layer.input_shape[0],
        layer.filters,
        layer.kernel_size,
        stride=layer.stride,
        padding=(top, left) if symmetric else 0,
        dilation=layer.dilation,
        groups=layer.groups,
        bias="bias" in layer.params,
        dtype=interop.torch_dtype(layer, torch),
    )
    interop.copy_into(module.weight, layer.params["weight"], torch)  # OIHW in both
    if "bias" in layer.params:
        interop.copy_into(module.bias, layer.params["bias"], torch)
    if symmetric:
        return module
    # an odd "same": torch's Conv2d pads symmetrically, so the zeros come first
    return torch.nn.Sequential(torch.nn.ZeroPad2d((left, right, top, bottom)), module)


@interop.from_torch_converter("Conv2d")
def _conv2d_from_torch(module, following, dtype: str, torch):
    if module.padding_mode != "zeros":
        raise TypeError(f"from_torch: Conv2d with padding_mode other than 'zeros' is not supported: {module}")
    layer = Conv2D(
        module.out_channels,
        module.kernel_size,
        stride=module.stride,
        padding=module.padding,
        dilation=module.dilation,
        groups=module.groups,
        use_bias=module.bias is not None,
        dtype=dtype,
    )
    return layer, interop.weight_and_bias(module), {}
