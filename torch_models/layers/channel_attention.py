"""Channel attention (squeeze-and-excitation, Hu et al., 2018) with a hand-written backward."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from convkit._validation import positive_int

from ._dtypes import promoted


class ChannelAttentionFunction(torch.autograd.Function):
    """Rescale each channel by a gate computed from the channel means of the same input.

    Forward, for x of shape (N, C, H, W), W1 (R, C) and W2 (C, R)::

        s = mean over (H, W) of x        (N, C)    squeeze
        h = relu(s W1^T + b1)            (N, R)
        a = sigmoid(h W2^T + b2)         (N, C)    excitation
        y = x * a[:, :, None, None]

    Backward, with dy = dL/dy::

        da  = sum over (H, W) of dy * x   dz2 = da * a * (1 - a)
        dW2 = dz2^T h   db2 = sum_n dz2   dz1 = (dz2 W2) * [h > 0]
        dW1 = dz1^T s   db1 = sum_n dz1   ds  = dz1 W1
        dx  = dy * a + ds / (H * W)       (both broadcast over H, W)
    """

    @staticmethod
    def forward(ctx, x, w1, b1, w2, b2):
        s = x.mean((2, 3))  # (N, C)
        h = torch.relu(F.linear(s, w1, b1))  # (N, R)
        a = torch.sigmoid(F.linear(h, w2, b2))  # (N, C)
        ctx.save_for_backward(x, s, h, a, w1, w2)
        return x * a[:, :, None, None]

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        x, s, h, a, w1, w2, grad_out = promoted(*ctx.saved_tensors, grad_out)
        dz2 = (grad_out * x).sum((2, 3)) * a * (1 - a)  # (N, C)
        dz1 = (dz2 @ w2) * (h > 0)  # (N, R)
        grad_x = None
        if ctx.needs_input_grad[0]:
            ds = dz1 @ w1  # (N, C)
            grad_x = grad_out * a[:, :, None, None] + (ds / (x.shape[2] * x.shape[3]))[:, :, None, None]
        return grad_x, dz1.t() @ s, dz1.sum(0), dz2.t() @ h, dz2.sum(0)


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation block: ``channels -> channels // reduction -> channels`` gating.

    The two ``nn.Linear`` submodules (``squeeze``, ``excite``) hold the weights with their usual
    initialization; ``ChannelAttentionFunction`` computes with them. Same result as
    ``torchvision.ops.SqueezeExcitation`` with the same weights.
    """

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        channels = positive_int(channels, "channels", "ChannelAttention")
        reduction = positive_int(reduction, "reduction", "ChannelAttention")
        hidden = max(1, channels // reduction)
        self.squeeze = nn.Linear(channels, hidden)
        self.excite = nn.Linear(hidden, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ChannelAttentionFunction.apply(
            x, self.squeeze.weight, self.squeeze.bias, self.excite.weight, self.excite.bias
        )
