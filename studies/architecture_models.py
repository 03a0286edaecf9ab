"""The four models of the architectures study: a fully connected net, a CNN of two conv + pooling stages,
a residual CNN, and the same residual CNN with BatchNorm, dropout and weight decay."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from torch import nn

from convkit._validation import positive_int
from torch_models import mlp, regularized_residual_cnn, residual_cnn

RESIDUAL_WIDTHS = (16, 32, 64)  # three residual blocks of two 3x3 convs: six convs
DROPOUT = 0.3
WEIGHT_DECAY = 5e-4  # on conv kernels and linear weights only (make_optimizer)


def two_conv_cnn(num_classes: int, in_channels: int, side: int, width: int = 32) -> nn.Sequential:
    """(conv3x3 -> ReLU -> 2x2 max-pool) with ``width`` then ``2 * width`` channels, flatten, linear."""
    width = positive_int(width, "width", "two_conv_cnn")
    return nn.Sequential(
        nn.Conv2d(in_channels, width, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, width, side/2, side/2)
        nn.Conv2d(width, 2 * width, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 2*width, side/4, side/4)
        nn.Flatten(),  # (N, 2*width*(side//4)**2)
        nn.Linear(2 * width * (side // 4) ** 2, num_classes),
    )


@dataclasses.dataclass(frozen=True)
class Architecture:
    name: str
    build: Callable[[int, int, int], nn.Module]  # (num_classes, in_channels, image side) -> model
    weight_decay: float = 0.0
    published: str | None = None  # the Fashion-MNIST benchmark table's classifier this model is


ARCHITECTURES = (
    Architecture(
        "FC (MLP 256-128-100)",
        lambda classes, channels, side: mlp(classes, channels, side, hidden_sizes=(256, 128, 100)),
        published="MLP 256-128-100",
    ),
    Architecture("CNN (2 conv + pooling)", two_conv_cnn, published="2 Conv+pooling"),
    Architecture(
        "residual CNN",
        lambda classes, channels, side: residual_cnn(classes, channels, widths=RESIDUAL_WIDTHS),
    ),
    Architecture(
        "residual + BN, dropout, WD",
        lambda classes, channels, side: regularized_residual_cnn(
            classes, channels, widths=RESIDUAL_WIDTHS, dropout=DROPOUT
        ),
        weight_decay=WEIGHT_DECAY,
    ),
)
