"""A multilayer perceptron on flattened images: the baseline the convolutional models are compared to."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from convkit._validation import positive_int, positive_ints, real


def mlp(
    num_classes: int = 10,
    in_channels: int = 1,
    image_size: int = 28,
    *,
    hidden_sizes: Sequence[int] = (256, 128),
    dropout: float = 0.0,
) -> nn.Sequential:
    """Flatten, then (Linear, ReLU[, Dropout]) per hidden size, then a Linear to the classes.

    For square ``image_size`` images. ``hidden_sizes=(256, 128)`` gives 3 linear layers,
    ``(512, 256, 128)`` gives 4.
    """
    num_classes = positive_int(num_classes, "num_classes", "mlp")
    in_channels = positive_int(in_channels, "in_channels", "mlp")
    image_size = positive_int(image_size, "image_size", "mlp")
    hidden_sizes = positive_ints(hidden_sizes, "hidden_sizes", "mlp")
    dropout = real(dropout, "dropout", "mlp", low=0.0, high=1.0)
    layers: list[nn.Module] = [nn.Flatten()]  # (N, C*H*W)
    width = in_channels * image_size * image_size
    for hidden in hidden_sizes:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = hidden
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)
