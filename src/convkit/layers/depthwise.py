"""DepthwiseConv2D (one filter per input channel, groups = C) and SeparableConv2D (depthwise, then a 1x1
convolution), as Keras names them and torch writes them (``nn.Conv2d(C, C*D, k, groups=C)``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _torch_converters as interop
from .. import initializers
from .._validation import flag, keras_alias, one_of, optional_seed, positive_int
from ..functional import conv2d_backward, conv2d_backward_input, conv2d_forward
from .base import Layer
from .conv import Conv2D, IntOrPair
from .registry import register


@register
class DepthwiseConv2D(Conv2D):
    """Depthwise 2-D convolution: (N, C, H, W) -> (N, C * depth_multiplier, OH, OW), output channel
    c*D + j the input channel c convolved with its own (KH, KW) filter; ``Conv2D(C * depth_multiplier,
    kernel_size, groups=C)`` once C is known, run by the compiled depthwise kernels (no im2col).

    Arguments: kernel_size, stride (``strides``), padding (int, pair, ``"valid"``, ``"same"``) and dilation
    as ``Conv2D``; depth_multiplier: output channels per input channel, default 1. ``params["weight"]``
    is (C * depth_multiplier, 1, KH, KW) (torch's layout), ``params["bias"]`` is (C * depth_multiplier,).
    See ``KernelLayer`` for ``activation``, ``use_bias``, the initializer, regularizer and ``seed``.
    """

    def __init__(
        self,
        kernel_size: IntOrPair,
        stride: IntOrPair | None = None,
        padding: IntOrPair | str = 0,
        depth_multiplier: int = 1,
        dilation: IntOrPair = 1,
        *,
        strides: IntOrPair | None = None,
        **kwargs,
    ):
        super(Conv2D, self).__init__(**kwargs)
        where = "DepthwiseConv2D"
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier", where)
        self._set_window(
            kernel_size, keras_alias(stride, strides, "stride", "strides", where), padding, dilation
        )
        self.filters, self.groups = None, None  # C * depth_multiplier and C, set by build

    def filters_and_groups(self, channels: int) -> tuple[int, int]:
        return channels * self.depth_multiplier, channels

    def get_config(self) -> dict:
        config = super().get_config()
        del config["filters"], config["groups"]
        return {"depth_multiplier": self.depth_multiplier, **config}


@register
class SeparableConv2D(Layer):
    """Depthwise-separable 2-D convolution (Keras's SeparableConv2D): a ``DepthwiseConv2D`` without bias,
    then a 1x1 convolution to ``filters`` channels with the bias. (N, C, H, W) -> (N, filters, OH, OW).

    Arguments:
    - filters: output channels of the 1x1 convolution
    - kernel_size, stride (``strides``), padding, dilation, depth_multiplier: of the depthwise step
    - use_bias: the 1x1 convolution's bias, default True
    - kernel_initializer: the name of the initializer of both kernels, default ``"he_normal"``
    - seed: the build draws both kernels from ``np.random.default_rng(seed)``

    ``params``: ``"depthwise_weight"`` (C*D, 1, KH, KW), ``"pointwise_weight"`` (filters, C*D, 1, 1),
    ``"bias"`` (filters,).
    """

    def __init__(
        self,
        filters: int,
        kernel_size: IntOrPair,
        stride: IntOrPair | None = None,
        padding: IntOrPair | str = 0,
        depth_multiplier: int = 1,
        dilation: IntOrPair = 1,
        *,
        strides: IntOrPair | None = None,
        use_bias: bool = True,
        kernel_initializer: str = "he_normal",
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        where = "SeparableConv2D"
        self.filters = positive_int(filters, "filters", where)
        stride = keras_alias(stride, strides, "stride", "strides", where)
        self._depthwise = DepthwiseConv2D(  # named after this layer: it takes no automatic layer number
            kernel_size,
            stride,
            padding,
            depth_multiplier,
            dilation,
            use_bias=False,
            dtype=self.dtype,
            name=f"{self.name}_depthwise",
        )
        self.use_bias = flag(use_bias, "use_bias", where)
        self.kernel_initializer = one_of(
            kernel_initializer, sorted(initializers.BY_NAME), "kernel_initializer", where
        )
        self.seed = optional_seed(seed, "seed", where)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (self.filters, *self._depthwise.compute_output_shape(input_shape)[1:])

    def build(self, input_shape: Sequence[int]) -> None:
        input_shape = tuple(input_shape)
        self.compute_output_shape(input_shape)
        depthwise = self._depthwise
        depthwise.filters, depthwise.groups = depthwise.filters_and_groups(input_shape[0])
        rng = np.random.default_rng(self.seed)
        init = initializers.get(self.kernel_initializer)
        shapes = {
            "depthwise_weight": (depthwise.filters, 1, *depthwise.kernel_size),
            "pointwise_weight": (self.filters, depthwise.filters, 1, 1),
        }
        self.params = {
            name: np.ascontiguousarray(init(shape, rng, self.dtype)) for name, shape in shapes.items()
        }
        if self.use_bias:
            self.params["bias"] = np.zeros(self.filters, self.dtype)
        self._zero_biases = np.zeros(depthwise.filters, self.dtype), np.zeros(self.filters, self.dtype)
        super().build(input_shape)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        mid, depthwise_cache = conv2d_forward(  # (N, C*D, OH, OW)
            x, self.params["depthwise_weight"], self._zero_biases[0], **self._depthwise.forward_arguments()
        )
        bias = self.params["bias"] if self.use_bias else self._zero_biases[1]
        out, pointwise_cache = conv2d_forward(mid, self.params["pointwise_weight"], bias)  # (N, F, OH, OW)
        self._cache = depthwise_cache, pointwise_cache
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        depthwise_cache, pointwise_cache = self._cache
        dmid, dpointwise, dbias = conv2d_backward(dout, pointwise_cache)
        dx, ddepthwise, _ = conv2d_backward(dmid, depthwise_cache)
        self.grads = {"depthwise_weight": ddepthwise, "pointwise_weight": dpointwise}
        if self.use_bias:
            self.grads["bias"] = dbias
        return dx

    def backward_input(self, dout: np.ndarray) -> np.ndarray:
        depthwise_cache, pointwise_cache = self._cache
        return conv2d_backward_input(conv2d_backward_input(dout, pointwise_cache), depthwise_cache)

    def get_config(self) -> dict:
        depthwise = self._depthwise.get_config()
        return {
            "filters": self.filters,
            **{
                key: depthwise[key]
                for key in ("kernel_size", "stride", "padding", "depth_multiplier", "dilation")
            },
            "use_bias": self.use_bias,
            "kernel_initializer": self.kernel_initializer,
            "seed": self.seed,
            **super().get_config(),
        }


# -- torch interop ---------------------------------------------------------------------------------------
# DepthwiseConv2D converts through Conv2D's converter (its subclass): nn.Conv2d(C, C*D, k, groups=C).
@interop.to_torch_converter(SeparableConv2D)
def _separable_to_torch(layer: SeparableConv2D, torch):
    depthwise = DepthwiseConv2D(**{**layer._depthwise.get_config(), "dtype": layer.dtype.name})
    depthwise.build(layer.input_shape)
    depthwise.params["weight"][...] = layer.params["depthwise_weight"]
    pointwise = Conv2D(layer.filters, 1, use_bias=layer.use_bias, dtype=layer.dtype.name)
    pointwise.build(depthwise.compute_output_shape(layer.input_shape))
    pointwise.params["weight"][...] = layer.params["pointwise_weight"]
    if layer.use_bias:
        pointwise.params["bias"][...] = layer.params["bias"]
    return torch.nn.Sequential(*interop.modules_for([depthwise, pointwise], torch))
