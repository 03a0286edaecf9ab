"""The simple CNN of the study: a few (conv3x3, ReLU, max-pool) stages and a linear classifier."""

from __future__ import annotations

import torch
from torch import nn

from convkit._validation import int_at_least, positive_int


class SimpleCNN(nn.Module):
    """``num_conv`` stages of conv3x3 (padding 1) -> ReLU -> 2x2 max-pool, doubling the width each stage,
    then global average pooling and a linear layer.

    Widths are ``width, 2*width, 4*width, ...``; the input side must be at least ``2**num_conv``.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, num_conv: int = 2, width: int = 32):
        super().__init__()
        num_classes = positive_int(num_classes, "num_classes", "SimpleCNN")
        in_channels = positive_int(in_channels, "in_channels", "SimpleCNN")
        num_conv = int_at_least(num_conv, 1, "num_conv", "SimpleCNN")
        width = positive_int(width, "width", "SimpleCNN")
        stages: list[nn.Module] = []
        channels = in_channels
        for i in range(num_conv):
            out = width * 2**i
            stages += [nn.Conv2d(channels, out, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            channels = out
        self.features = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, width*2**(num_conv-1), H/2**num_conv, W/2**num_conv)
        x = torch.flatten(self.pool(x), 1)  # (N, width*2**(num_conv-1))
        return self.classifier(x)


def simple_cnn(
    num_classes: int = 10, in_channels: int = 1, *, num_conv: int = 2, width: int = 32
) -> SimpleCNN:
    """A CNN with ``num_conv`` (2 or 3 in the study) conv layers."""
    return SimpleCNN(num_classes, in_channels, num_conv, width)
