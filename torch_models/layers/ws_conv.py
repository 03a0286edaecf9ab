"""Weight-standardized convolution (Qiao et al., 2019) with a hand-written backward."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from convkit._validation import positive_float

from ._dtypes import promoted


class WSConv2dFunction(torch.autograd.Function):
    """Convolution with a filter standardized to zero mean and unit variance per output channel.

    Forward, with statistics over each filter's ``n = in_channels / groups * kh * kw`` weights::

        w_hat = (w - mean(w)) / sqrt(var(w) + eps)
        y     = conv2d(x, w_hat) + b

    Backward, with ``g = dL/dw_hat`` (the ordinary convolution weight gradient)::

        dL/dx = conv2d_input(dL/dy, w_hat)
        dL/dw = (g - mean(g) - w_hat * mean(g * w_hat)) / sqrt(var(w) + eps)
        dL/db = sum over (N, H, W) of dL/dy
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups, eps):
        filters = weight.reshape(weight.shape[0], -1)  # (O, n)
        inv_std = torch.rsqrt(filters.var(1, unbiased=False, keepdim=True) + eps)  # (O, 1)
        w_hat = ((filters - filters.mean(1, keepdim=True)) * inv_std).view_as(weight)  # (O, I/groups, KH, KW)
        ctx.save_for_backward(x, w_hat, inv_std)
        ctx.conv_args = (stride, padding, dilation, groups)
        return F.conv2d(x, w_hat, bias, stride, padding, dilation, groups)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        x, w_hat, inv_std, grad_out = promoted(*ctx.saved_tensors, grad_out)
        stride, padding, dilation, groups = ctx.conv_args
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.nn.grad.conv2d_input(x.shape, w_hat, grad_out, stride, padding, dilation, groups)
        if ctx.needs_input_grad[1]:
            g = torch.nn.grad.conv2d_weight(x, w_hat.shape, grad_out, stride, padding, dilation, groups)
            g = g.reshape(w_hat.shape[0], -1)  # (O, n)
            h = w_hat.reshape(w_hat.shape[0], -1)  # (O, n)
            grad_filters = inv_std * (g - g.mean(1, keepdim=True) - h * (g * h).mean(1, keepdim=True))
            grad_weight = grad_filters.view_as(w_hat)
        if ctx.needs_input_grad[2]:
            grad_bias = grad_out.sum((0, 2, 3))
        return grad_x, grad_weight, grad_bias, None, None, None, None, None


class WSConv2d(nn.Conv2d):
    """``nn.Conv2d`` whose filters are standardized on every forward (see ``WSConv2dFunction``).

    Takes the arguments of ``nn.Conv2d`` plus ``eps``; padding must be numeric with ``padding_mode="zeros"``.
    Usually followed by GroupNorm: together they replace BatchNorm for small batches.
    """

    def __init__(self, *args, eps: float = 1e-5, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.padding, str):
            raise ValueError(
                f"WSConv2d: padding must be an int or a pair. Received: padding={self.padding!r}"
            )
        if self.padding_mode != "zeros":
            raise ValueError(
                f"WSConv2d: padding_mode must be 'zeros'. Received: padding_mode={self.padding_mode!r}"
            )
        self.eps = positive_float(eps, "eps", "WSConv2d")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return WSConv2dFunction.apply(
            x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups, self.eps
        )
