"""Smooth self-gated activations, Swish and Mish, with hand-written backwards."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable


class SwishFunction(torch.autograd.Function):
    """Swish / SiLU (Ramachandran et al., 2017)::

    y     = x * sigmoid(x)
    dy/dx = s * (1 + x * (1 - s)),   s = sigmoid(x)
    """

    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        x, s = ctx.saved_tensors
        return grad_out * s * (1 + x * (1 - s))


class MishFunction(torch.autograd.Function):
    """Mish (Misra, 2019)::

    y     = x * tanh(softplus(x))
    dy/dx = t + x * (1 - t**2) * sigmoid(x),   t = tanh(softplus(x))
    """

    @staticmethod
    def forward(ctx, x):
        t = torch.tanh(F.softplus(x))
        ctx.save_for_backward(x, t)
        return x * t

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        x, t = ctx.saved_tensors
        return grad_out * (t + x * (1 - t * t) * torch.sigmoid(x))


class Swish(nn.Module):
    """``x * sigmoid(x)`` through ``SwishFunction``; matches ``nn.SiLU``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return SwishFunction.apply(x)


class Mish(nn.Module):
    """``x * tanh(softplus(x))`` through ``MishFunction``; matches ``nn.Mish``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return MishFunction.apply(x)
