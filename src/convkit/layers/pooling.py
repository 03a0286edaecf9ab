"""Pooling over (C, H, W) inputs: MaxPool2D, AvgPool2D (windows, with torch's padding and ceil_mode),
GlobalAvgPool2D, GlobalMaxPool2D and AdaptiveAvgPool2D."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Union

import numpy as np

from .. import _torch_converters as interop
from .._validation import flag, input_ndim, int_pair, keras_alias
from ..functional import (
    adaptive_avgpool2d_backward,
    adaptive_avgpool2d_forward,
    avgpool2d_backward,
    avgpool2d_forward,
    global_avgpool2d_backward,
    global_avgpool2d_forward,
    global_maxpool2d_backward,
    global_maxpool2d_forward,
    maxpool2d_backward,
    maxpool2d_forward,
    relu_backward,
)
from ..functional.pooling import pooled_size
from .base import Layer
from .registry import register

IntOrPair = Union[int, Sequence[int]]


class _Pool2D(Layer):
    """A window of ``pool_size`` moved by ``stride`` (default: pool_size; ``strides`` is its Keras name,
    pass one of them) over H and W, as torch: ``padding`` (int or pair, at most half the window) around the
    input; windows that do not fit are dropped, or with ``ceil_mode`` kept where they start inside the
    input or its left padding: (N, C, H, W) -> (N, C, OH, OW), OH = (H + 2 * pad - ph) // sh + 1."""

    def __init__(
        self,
        pool_size: IntOrPair = 2,
        stride: IntOrPair | None = None,
        padding: IntOrPair = 0,
        ceil_mode: bool = False,
        *,
        strides: IntOrPair | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.pool_size = int_pair(pool_size, "pool_size", cls, minimum=1)
        stride = keras_alias(stride, strides, "stride", "strides", cls)
        self.stride = self.pool_size if stride is None else int_pair(stride, "stride", cls, minimum=1)
        self.padding = int_pair(padding, "padding", cls, minimum=0)
        if self.padding[0] > self.pool_size[0] // 2 or self.padding[1] > self.pool_size[1] // 2:
            raise ValueError(
                f"{cls}: padding must be at most half the pool window {self.pool_size}. "
                f"Received: padding={padding!r}"
            )
        self.ceil_mode = flag(ceil_mode, "ceil_mode", cls)

    def build(self, input_shape: Sequence[int]) -> None:
        self.compute_output_shape(tuple(input_shape))
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        cls = type(self).__name__
        input_ndim(input_shape, (3,), "C, H, W", cls)
        C, H, W = input_shape
        (ph, pw), (sh, sw), (pad_h, pad_w) = self.pool_size, self.stride, self.padding
        if ph > H + 2 * pad_h or pw > W + 2 * pad_w:
            padded = f" padded by {self.padding}" if self.padding != (0, 0) else ""
            raise ValueError(
                f"{cls}: the pool window ({ph}, {pw}) must fit in the input ({H}, {W}){padded}. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        OH = pooled_size(H, ph, sh, pad_h, self.ceil_mode)
        return (C, OH, pooled_size(W, pw, sw, pad_w, self.ceil_mode))

    def get_config(self) -> dict:
        return {
            "pool_size": list(self.pool_size),
            "stride": list(self.stride),
            "padding": list(self.padding),
            "ceil_mode": self.ceil_mode,
            **super().get_config(),
        }


@register
class MaxPool2D(_Pool2D):
    """Max pooling, as torch.nn.MaxPool2d(pool_size, stride, padding, ceil_mode=ceil_mode) (padding is
    -inf); the gradient goes to each window's maximum."""

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = maxpool2d_forward(x, self.pool_size, self.stride, self.padding, self.ceil_mode)
        self._out = out  # the gate of backward_through_relu
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return maxpool2d_backward(dout, self._cache)

    def backward_through_relu(self, dout: np.ndarray) -> np.ndarray:
        """The gradient w.r.t. the input of a ReLU whose output this pool took: ``relu_backward`` of
        ``backward(dout)``, computed as ``backward`` of dout gated on the pooled outputs (each window's
        maximum is the ReLU's output at the element it routes to), over a quarter of the elements for
        2x2 windows. The same values bit for bit."""
        return maxpool2d_backward(relu_backward(dout, self._out), self._cache)


@register
class AvgPool2D(_Pool2D):
    """Average pooling, as torch.nn.AvgPool2d(pool_size, stride, padding, ceil_mode, count_include_pad):
    padding is zeros, counted in each window's divisor unless ``count_include_pad=False``."""

    def __init__(
        self,
        pool_size: IntOrPair = 2,
        stride: IntOrPair | None = None,
        padding: IntOrPair = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        **kwargs,
    ):
        super().__init__(pool_size, stride, padding, ceil_mode, **kwargs)
        self.count_include_pad = flag(count_include_pad, "count_include_pad", "AvgPool2D")

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = avgpool2d_forward(
            x, self.pool_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad
        )  # (N, C, OH, OW)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return avgpool2d_backward(dout, self._cache)

    def get_config(self) -> dict:
        return {**super().get_config(), "count_include_pad": self.count_include_pad}


class _GlobalPool2D(Layer):
    """A reduction over H and W: (N, C, H, W) -> (N, C), by the subclass's functional pair."""

    forward_op: Callable
    backward_op: Callable

    def build(self, input_shape: Sequence[int]) -> None:
        self.compute_output_shape(tuple(input_shape))
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        input_ndim(input_shape, (3,), "C, H, W", type(self).__name__)
        return (input_shape[0],)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = self.forward_op(x)  # (N, C)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return self.backward_op(dout, self._cache)


@register
class GlobalAvgPool2D(_GlobalPool2D):
    """Mean over H and W: (N, C, H, W) -> (N, C), as torch.nn.AdaptiveAvgPool2d(1) followed by Flatten."""

    forward_op = staticmethod(global_avgpool2d_forward)
    backward_op = staticmethod(global_avgpool2d_backward)


@register
class GlobalMaxPool2D(_GlobalPool2D):
    """Max over H and W: (N, C, H, W) -> (N, C), as torch.nn.AdaptiveMaxPool2d(1) followed by Flatten."""

    forward_op = staticmethod(global_maxpool2d_forward)
    backward_op = staticmethod(global_maxpool2d_backward)


@register
class AdaptiveAvgPool2D(Layer):
    """Average pooling to a fixed ``output_size`` (int or (OH, OW)) whatever the input's H and W, as
    torch.nn.AdaptiveAvgPool2d: output row i averages rows floor(i * H / OH) to ceil((i + 1) * H / OH)."""

    def __init__(self, output_size: IntOrPair, **kwargs):
        super().__init__(**kwargs)
        self.output_size = int_pair(output_size, "output_size", "AdaptiveAvgPool2D", minimum=1, maximum=2**20)

    def build(self, input_shape: Sequence[int]) -> None:
        self.compute_output_shape(tuple(input_shape))
        super().build(input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        input_ndim(input_shape, (3,), "C, H, W", "AdaptiveAvgPool2D")
        return (input_shape[0], *self.output_size)

    def call(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self._cache = adaptive_avgpool2d_forward(x, self.output_size)  # (N, C, OH, OW)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return adaptive_avgpool2d_backward(dout, self._cache)

    def get_config(self) -> dict:
        return {"output_size": list(self.output_size), **super().get_config()}


# -- torch interop ---------------------------------------------------------------------------------------
@interop.to_torch_converter(MaxPool2D)
def _max_pool_to_torch(layer: MaxPool2D, torch):
    return torch.nn.MaxPool2d(
        layer.pool_size, stride=layer.stride, padding=layer.padding, ceil_mode=layer.ceil_mode
    )


@interop.to_torch_converter(AvgPool2D)
def _avg_pool_to_torch(layer: AvgPool2D, torch):
    return torch.nn.AvgPool2d(
        layer.pool_size,
        stride=layer.stride,
        padding=layer.padding,
        ceil_mode=layer.ceil_mode,
        count_include_pad=layer.count_include_pad,
    )


@interop.to_torch_converter(GlobalAvgPool2D)
def _global_avg_pool_to_torch(layer: GlobalAvgPool2D, torch):
    return torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())


@interop.from_torch_converter("MaxPool2d", "AvgPool2d")
def _pool_from_torch(module, following, dtype: str, torch):
    is_max = isinstance(module, torch.nn.MaxPool2d)
    if is_max and (interop.pair(module.dilation) != (1, 1) or module.return_indices):
        raise TypeError(f"from_torch: max pooling with dilation or return_indices is not supported: {module}")
    if not is_max and module.divisor_override is not None:
        raise TypeError(f"from_torch: average pooling with divisor_override is not supported: {module}")
    stride = module.stride if module.stride else module.kernel_size
    geometry = (module.kernel_size, stride, interop.pair(module.padding), module.ceil_mode)
    if is_max:
        return MaxPool2D(*geometry, dtype=dtype), {}, {}
    return AvgPool2D(*geometry, count_include_pad=module.count_include_pad, dtype=dtype), {}, {}


@interop.to_torch_converter(GlobalMaxPool2D)
def _global_max_pool_to_torch(layer: GlobalMaxPool2D, torch):
    return torch.nn.Sequential(torch.nn.AdaptiveMaxPool2d(1), torch.nn.Flatten())


@interop.to_torch_converter(AdaptiveAvgPool2D)
def _adaptive_avg_pool_to_torch(layer: AdaptiveAvgPool2D, torch):
    return torch.nn.AdaptiveAvgPool2d(layer.output_size)


def _output_size(module) -> tuple[int, int]:
    size = module.output_size
    size = (size, size) if isinstance(size, int) else tuple(size)
    if None in size:
        raise TypeError(f"from_torch: adaptive pooling with a None output size is not supported: {module}")
    return size


@interop.from_torch_converter("AdaptiveAvgPool2d")
def _adaptive_avg_pool_from_torch(module, following, dtype: str, torch):
    size = _output_size(module)
    if size == (1, 1) and following and isinstance(following[0], torch.nn.Flatten):
        following.popleft()  # folded into GlobalAvgPool2D, which outputs (N, C)
        return GlobalAvgPool2D(dtype=dtype), {}, {}
    return AdaptiveAvgPool2D(size, dtype=dtype), {}, {}


@interop.from_torch_converter("AdaptiveMaxPool2d")
def _global_max_pool_from_torch(module, following, dtype: str, torch):
    if _output_size(module) != (1, 1) or module.return_indices:
        raise TypeError(f"from_torch: unsupported module {type(module).__name__}: {module}")
    if not (following and isinstance(following[0], torch.nn.Flatten)):
        raise TypeError(
            "from_torch: AdaptiveMaxPool2d(1) is supported when followed by Flatten "
            "(convkit's GlobalMaxPool2D outputs (N, C))."
        )
    following.popleft()  # folded into GlobalMaxPool2D
    return GlobalMaxPool2D(dtype=dtype), {}, {}
