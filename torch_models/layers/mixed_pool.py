"""Mixed max-average pooling (Lee et al., 2016) with a learnable mix and a hand-written backward."""

from __future__ import annotations

import math
import numbers

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from convkit._validation import real


class MixedPool2dFunction(torch.autograd.Function):
    """A mix of max- and average-pooling over the same windows.

    Forward, with ``a = sigmoid(mix_logit)`` a scalar::

        y = a * maxpool(x) + (1 - a) * avgpool(x)       (avgpool counts the zero padding)

    Backward::

        dL/dx         = a * scatter of dL/dy to each window's argmax
                        + (1 - a) / (kh * kw) * dL/dy spread over each window (fold)
        dL/dmix_logit = sum(dL/dy * (maxpool(x) - avgpool(x))) * a * (1 - a)
    """

    @staticmethod
    def forward(ctx, x, mix_logit, kernel_size, stride, padding):
        maxed, argmax = F.max_pool2d(x, kernel_size, stride, padding, return_indices=True)
        averaged = F.avg_pool2d(x, kernel_size, stride, padding, count_include_pad=True)
        a = torch.sigmoid(mix_logit)
        ctx.save_for_backward(argmax, maxed - averaged, a)
        ctx.pool_args = (x.shape, kernel_size, stride, padding)
        return a * maxed + (1 - a) * averaged

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        argmax, max_minus_avg, a = ctx.saved_tensors
        (n, c, height, width), kernel_size, stride, padding = ctx.pool_args
        grad_x = grad_logit = None
        if ctx.needs_input_grad[0]:
            window = kernel_size[0] * kernel_size[1]
            # max part: each output's gradient goes to its argmax (flat index into H*W); windows may overlap
            grad_max = grad_out.new_zeros(n, c, height * width)  # (N, C, H*W)
            grad_max.scatter_add_(2, argmax.flatten(2), (a * grad_out).flatten(2))
            # average part: each output's gradient is spread evenly over its window
            cols = ((1 - a) / window * grad_out).flatten(2)  # (N, C, L)
            cols = (
                cols.unsqueeze(2).expand(n, c, window, cols.shape[2]).reshape(n, c * window, -1)
            )  # (N, C*KH*KW, L)
            grad_avg = F.fold(
                cols, (height, width), kernel_size, padding=padding, stride=stride
            )  # (N, C, H, W)
            grad_x = grad_max.view(n, c, height, width) + grad_avg
        if ctx.needs_input_grad[1]:
            grad_logit = (grad_out * max_minus_avg).sum() * a * (1 - a)
        return grad_x, grad_logit, None, None, None


def _pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints as a pair of ints."""
    pair = (value, value) if isinstance(value, numbers.Integral) else value
    valid = (
        isinstance(pair, (tuple, list))
        and len(pair) == 2
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pair)
    )
    if not valid:
        raise TypeError(f"MixedPool2d: {name} must be an int or a pair of ints. Received: {name}={value!r}")
    return int(pair[0]), int(pair[1])


class MixedPool2d(nn.Module):
    """``a * MaxPool2d + (1 - a) * AvgPool2d`` over the same windows, through ``MixedPool2dFunction``.

    Args:
    - kernel_size, stride (defaults to kernel_size), padding: as ``nn.MaxPool2d``; padding at most half
      the kernel.
    - alpha: the initial share of max-pooling, in [0, 1]; 1 is ``nn.MaxPool2d``, 0 is ``nn.AvgPool2d``.
    - learnable: train the mix (stored as the logit ``mix_logit``) with the network.
    """

    def __init__(self, kernel_size, stride=None, padding=0, alpha: float = 0.5, learnable: bool = True):
        super().__init__()
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        if min(self.kernel_size) < 1 or min(self.stride) < 1:
            raise ValueError(
                f"MixedPool2d: kernel_size and stride must be positive. "
                f"Received: kernel_size={kernel_size!r}, stride={stride!r}"
            )
        if any(p < 0 or 2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(
                f"MixedPool2d: padding must be between 0 and half the kernel size. "
                f"Received: padding={padding!r}, kernel_size={kernel_size!r}"
            )
        alpha = real(alpha, "alpha", "MixedPool2d", low=0.0, high=1.0, high_inclusive=True)
        # alpha = sigmoid(logit); the ends 0 and 1 are the infinite logits
        logit = math.log(alpha / (1 - alpha)) if 0 < alpha < 1 else math.copysign(math.inf, alpha - 0.5)
        logit = torch.tensor(logit)
        if learnable:
            self.mix_logit = nn.Parameter(logit)
        else:
            self.register_buffer("mix_logit", logit)

    @property
    def alpha(self) -> float:
        """The current share of max-pooling."""
        return float(torch.sigmoid(self.mix_logit))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mix_logit = self.mix_logit.to(x.dtype)
        return MixedPool2dFunction.apply(x, mix_logit, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        window = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return f"{window}, alpha={self.alpha:.3f}"
