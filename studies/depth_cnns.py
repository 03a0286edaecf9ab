"""The models of the depth study: plain and residual CNNs of 2, 4, 8, 16 ... conv layers, else identical."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import torch
from torch import nn

from convkit._validation import positive_int, positive_ints
from torch_models import ConvBlock

HEAD_GRID = 4  # the last feature map is average-pooled to 4x4 before the classifier
MAX_POOLS = 2  # 2x2 max-pools after the first two blocks (never after the last)


class DepthCNN(nn.Module):
    """``blocks`` ``ConvBlock``\\ s of ``width`` channels (two 3x3 convs each, no BatchNorm), 2x2
    max-pools after the first ``MAX_POOLS`` of them, average pooling to a ``HEAD_GRID`` x ``HEAD_GRID``
    grid, then a linear classifier.

    The grid head keeps where a pattern is, so even the two-layer net, whose single block sees only 5x5
    pixels, can tell a sleeve from a sole; global pooling would reduce it to a bag of 5x5 patches.
    Convolutions start from He (Kaiming normal, fan-in) weights and zero biases: without BatchNorm they
    keep the plain nets' activations at one scale through depth (PyTorch's default init shrinks them).
    """

    def __init__(self, num_classes: int, in_channels: int, blocks: int, width: int, *, residual: bool):
        super().__init__()
        blocks = positive_int(blocks, "blocks", "DepthCNN")
        layers: list[nn.Module] = []
        channels = in_channels
        for i in range(blocks):
            layers.append(ConvBlock(channels, width, residual=residual))
            if i < min(MAX_POOLS, blocks - 1):
                layers.append(nn.MaxPool2d(2))
            channels = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(HEAD_GRID)
        self.classifier = nn.Linear(width * HEAD_GRID**2, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.features(x))  # (N, width, HEAD_GRID, HEAD_GRID)
        return self.classifier(torch.flatten(x, 1))  # (N, width*HEAD_GRID**2) -> (N, classes)


def depth_study(
    num_classes: int = 10, in_channels: int = 1, *, depths: Sequence[int] = (2, 4, 8, 16), width: int = 16
) -> dict[str, Callable[[], DepthCNN]]:
    """Builders (no arguments: each call makes a new model from the current torch seed) named
    ``"plain_<depth>"`` and ``"residual_<depth>"`` for every depth.

    A depth of ``d`` 3x3 conv layers is ``d // 2`` ``ConvBlock``\\ s (``d`` must be even). Plain and
    residual models of one depth differ only by the skip connections (and the 1x1 projection of the
    first residual block, which widens the input), which isolates their effect as the network deepens.
    """
    depths = positive_ints(depths, "depths", "depth_study")
    width = positive_int(width, "width", "depth_study")
    if any(d % 2 for d in depths):
        raise ValueError(f"depth_study: depths must be even (two convs per block). Received: depths={depths}")
    return {
        f"{kind}_{depth}": functools.partial(
            DepthCNN, num_classes, in_channels, depth // 2, width, residual=kind == "residual"
        )
        for depth in depths
        for kind in ("plain", "residual")
    }
