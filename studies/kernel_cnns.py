"""The kernel-size study's models: CNNs with 3x3, 5x5, 7x7 or 1x1+3x3 convolutions at one parameter budget
(``studies.param_budget`` picks each width)."""

from __future__ import annotations

import functools

import torch
from torch import nn

from convkit._validation import int_at_least, one_of, positive_int

from .param_budget import models_at_budget

KERNEL_SIZES = ("3x3", "5x5", "7x7", "1x1+3x3")


def _conv_unit(kernel: str, in_channels: int, out_channels: int) -> list[nn.Module]:
    """The convolution(s) of one layer, keeping the spatial size."""
    if kernel == "1x1+3x3":
        return [
            nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False),
        ]
    k = int(kernel.split("x")[0])
    return [nn.Conv2d(in_channels, out_channels, kernel_size=k, padding=k // 2, bias=False)]


class KernelCNN(nn.Module):
    """``num_layers`` layers of (conv unit -> BN -> ReLU), a 2x2 max-pool between layers, then global
    average pooling and a linear classifier. Every layer has ``width`` channels.

    ``kernel`` is one of ``KERNEL_SIZES``; ``"1x1+3x3"`` is a 1x1 conv, ReLU, then a 3x3 conv.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        kernel: str = "3x3",
        width: int = 32,
        num_layers: int = 3,
    ):
        super().__init__()
        num_classes = positive_int(num_classes, "num_classes", "KernelCNN")
        in_channels = positive_int(in_channels, "in_channels", "KernelCNN")
        one_of(kernel, KERNEL_SIZES, "kernel", "KernelCNN")
        width = positive_int(width, "width", "KernelCNN")
        num_layers = positive_int(num_layers, "num_layers", "KernelCNN")
        self.kernel = kernel
        layers: list[nn.Module] = []
        channels = in_channels
        for i in range(num_layers):
            layers += [*_conv_unit(kernel, channels, width), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
            if i < num_layers - 1:
                layers.append(nn.MaxPool2d(2))
            channels = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, width, H / 2**(num_layers-1), W / 2**(num_layers-1))
        return self.classifier(torch.flatten(self.pool(x), 1))  # (N, num_classes)


def kernel_size_study(
    num_classes: int = 10, in_channels: int = 1, *, param_budget: int = 100_000, num_layers: int = 3
) -> dict[str, KernelCNN]:
    """One ``KernelCNN`` per entry of ``KERNEL_SIZES``, each with the width that brings it nearest to
    ``param_budget`` parameters; the largest count is at most 5% above the smallest.

    Raises ValueError when the budget is too small for width steps to keep the counts within 5%.
    """
    num_classes = positive_int(num_classes, "num_classes", "kernel_size_study")
    in_channels = positive_int(in_channels, "in_channels", "kernel_size_study")
    param_budget = int_at_least(param_budget, 1000, "param_budget", "kernel_size_study")
    num_layers = positive_int(num_layers, "num_layers", "kernel_size_study")
    builders = {
        kernel: functools.partial(KernelCNN, num_classes, in_channels, kernel, num_layers=num_layers)
        for kernel in KERNEL_SIZES
    }
    return models_at_budget(builders, param_budget, "kernel_size_study")
