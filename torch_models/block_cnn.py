"""CNNs built from two-conv blocks, with or without skip connections: the residual models of the study."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from convkit._validation import int_at_least, positive_int, positive_ints, real


class ConvBlock(nn.Module):
    """conv3x3 -> [BN] -> ReLU -> conv3x3 -> [BN], plus the shortcut when ``residual``, then ReLU.

    The shortcut is the identity when the width is kept and a 1x1 convolution (with BN when
    ``batch_norm``) when it changes. Without ``residual`` the block is a plain pair of convolutions, so
    plain and residual networks differ only by the skip.
    """

    def __init__(
        self, in_channels: int, out_channels: int, *, residual: bool = True, batch_norm: bool = False
    ):
        super().__init__()
        in_channels = positive_int(in_channels, "in_channels", "ConvBlock")
        out_channels = positive_int(out_channels, "out_channels", "ConvBlock")
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=not batch_norm)
        self.bn1 = nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity()
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=not batch_norm)
        self.bn2 = nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity()
        self.shortcut: nn.Module | None = None
        if residual and in_channels == out_channels:
            self.shortcut = nn.Identity()
        elif residual:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=not batch_norm),
                nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity(),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return self.relu(out)


class BlockCNN(nn.Module):
    """One ``ConvBlock`` per entry of ``widths``, a 2x2 max-pool after each of the first ``max_pools``
    blocks (never after the last), then global average pooling, dropout and a linear classifier.

    The network has ``2 * len(widths)`` 3x3 convolutions (plus 1x1 projections in residual blocks that
    change the width).
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        widths: Sequence[int] = (32, 64, 128),
        *,
        residual: bool = True,
        batch_norm: bool = False,
        dropout: float = 0.0,
        max_pools: int = 2,
    ):
        super().__init__()
        num_classes = positive_int(num_classes, "num_classes", "BlockCNN")
        in_channels = positive_int(in_channels, "in_channels", "BlockCNN")
        widths = positive_ints(widths, "widths", "BlockCNN")
        dropout = real(dropout, "dropout", "BlockCNN", low=0.0, high=1.0)
        max_pools = int_at_least(max_pools, 0, "max_pools", "BlockCNN")
        layers: list[nn.Module] = []
        channels = in_channels
        for i, width in enumerate(widths):
            layers.append(ConvBlock(channels, width, residual=residual, batch_norm=batch_norm))
            if i < min(max_pools, len(widths) - 1):
                layers.append(nn.MaxPool2d(2))
            channels = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, widths[-1], H', W')
        x = torch.flatten(self.pool(x), 1)  # (N, widths[-1])
        return self.classifier(self.dropout(x))


def residual_cnn(
    num_classes: int = 10, in_channels: int = 1, *, widths: Sequence[int] = (32, 64, 128)
) -> BlockCNN:
    """Residual CNN: one residual ``ConvBlock`` per width, no normalization or dropout."""
    return BlockCNN(num_classes, in_channels, widths, residual=True)


def regularized_residual_cnn(
    num_classes: int = 10,
    in_channels: int = 1,
    *,
    widths: Sequence[int] = (32, 64, 128),
    dropout: float = 0.3,
) -> BlockCNN:
    """Residual CNN with BatchNorm in every block and dropout before the classifier.

    The third regularizer of the study, weight decay, belongs to the optimizer:
    ``fit(model, ..., weight_decay=5e-4)``.
    """
    return BlockCNN(num_classes, in_channels, widths, residual=True, batch_norm=True, dropout=dropout)
