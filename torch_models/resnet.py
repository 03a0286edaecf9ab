"""ResNet (He et al., 2015) in the torchvision layout, plus a wide variant and a small-input stem.

Parameter names and shapes follow ``torchvision.models.resnet``, so a torchvision state dict loads with
``strict=True`` into the factory of the same depth. Every variant is the same ``ResNet`` with a different
block class: ``BasicBlock`` (two 3x3 convs), ``Bottleneck`` (1x1 -> 3x3 -> 1x1, stride on the 3x3 conv)
and ``WideBasicBlock`` (a ``widen_factor`` times wider 3x3 pair with dropout between the convs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Union

import torch
from torch import nn

from convkit._validation import positive_int, positive_ints, real


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding 1 and no bias (a BatchNorm follows)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution without bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus the shortcut, then ReLU (ResNet-18/34)."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    @property
    def last_bn(self) -> nn.BatchNorm2d:
        """The BatchNorm closing the residual branch (zeroed by ``zero_init_residual``)."""
        return self.bn2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """conv1x1-BN-ReLU-conv3x3(stride)-BN-ReLU-conv1x1-BN plus the shortcut, then ReLU (ResNet-50/101).

    The stride sits on the 3x3 convolution (ResNet v1.5, as torchvision); the last 1x1 conv expands the
    channels by ``expansion``.
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    @property
    def last_bn(self) -> nn.BatchNorm2d:
        """The BatchNorm closing the residual branch (zeroed by ``zero_init_residual``)."""
        return self.bn3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class WideBasicBlock(nn.Module):
    """A BasicBlock whose inner width is ``planes * widen_factor``, with dropout between the two convs.

    conv3x3(inplanes -> planes*k)-BN-ReLU-dropout-conv3x3(planes*k -> planes)-BN plus the shortcut, then
    ReLU. As in torchvision's ``wide_resnet50_2`` only the inside of the block is widened, so the block
    output (and every shortcut) keeps ``planes`` channels and ``expansion`` stays 1.
    """

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        widen_factor: int = 2,
        dropout: float = 0.0,
    ):
        super().__init__()
        widen_factor = positive_int(widen_factor, "widen_factor", "WideBasicBlock")
        dropout = real(dropout, "dropout", "WideBasicBlock", low=0.0, high=1.0)
        width = planes * widen_factor
        self.conv1 = conv3x3(inplanes, width, stride)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = conv3x3(width, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    @property
    def last_bn(self) -> nn.BatchNorm2d:
        """The BatchNorm closing the residual branch (zeroed by ``zero_init_residual``)."""
        return self.bn2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.dropout(self.relu(self.bn1(self.conv1(x))))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


ResidualBlock = Union[BasicBlock, Bottleneck, WideBasicBlock]


class ResNet(nn.Module):
    """Stem, four stages of residual blocks (``widths`` planes), global average pool, linear head.

    Args:
    - block: the block class; it carries ``expansion`` (output channels = planes * expansion).
    - layers: number of blocks in each of the four stages.
    - num_classes: size of the output (logits).
    - in_channels: channels of the input images (3 for RGB, 1 for grayscale).
    - small_input: a 3x3 stride-1 stem without max-pool for 28x28 / 32x32 images, instead of the ImageNet
      stem (7x7 stride-2 conv and 3x3 stride-2 max-pool, which shrinks 224 px to 56 px).
    - zero_init_residual: start the last BatchNorm of every residual branch at zero, so each block begins
      as the identity (Goyal et al., 2017).
    - block_options: extra keyword arguments for every block (``widen_factor``, ``dropout`` of
      ``WideBasicBlock``).
    - widths: the planes of the four stages (the stem has ``widths[0]`` channels); torchvision's are
      64, 128, 256, 512.
    """

    def __init__(
        self,
        block: type[ResidualBlock],
        layers: Sequence[int],
        num_classes: int = 1000,
        in_channels: int = 3,
        *,
        small_input: bool = False,
        zero_init_residual: bool = False,
        block_options: Mapping[str, Any] | None = None,
        widths: Sequence[int] = (64, 128, 256, 512),
    ):
        super().__init__()
        layers = positive_ints(layers, "layers", "ResNet")
        if len(layers) != 4:
            raise ValueError(f"ResNet: layers must hold 4 stage depths. Received: layers={layers}")
        num_classes = positive_int(num_classes, "num_classes", "ResNet")
        in_channels = positive_int(in_channels, "in_channels", "ResNet")
        widths = positive_ints(widths, "widths", "ResNet")
        if len(widths) != 4:
            raise ValueError(f"ResNet: widths must hold 4 stage widths. Received: widths={widths}")
        self._block_options = dict(block_options or {})
        self.inplanes = widths[0]
        if small_input:
            self.conv1 = conv3x3(in_channels, self.inplanes)
            self.maxpool: nn.Module = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, (BasicBlock, Bottleneck, WideBasicBlock)):
                    nn.init.zeros_(m.last_bn.weight)

    def _make_layer(
        self, block: type[ResidualBlock], planes: int, blocks: int, stride: int = 1
    ) -> nn.Sequential:
        """One stage: the first block may change stride and width (1x1 projection shortcut)."""
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        stage = [block(self.inplanes, planes, stride, downsample, **self._block_options)]
        self.inplanes = planes * block.expansion
        stage += [block(self.inplanes, planes, **self._block_options) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # (N, w0, H/4, W/4); (N, w0, H, W) small input
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # (N, w3*expansion, H/32, W/32)
        x = torch.flatten(self.avgpool(x), 1)  # (N, w3*expansion)
        return self.fc(x)


def _resnet(
    block: type[ResidualBlock], layers: Sequence[int], num_classes: int, in_channels: int, **kwargs: Any
) -> ResNet:
    """The one path of every factory: ``kwargs`` go to ``ResNet`` unchanged, which checks them all."""
    return ResNet(block, layers, num_classes, in_channels, **kwargs)


def resnet18(num_classes: int = 1000, in_channels: int = 3, **kwargs: Any) -> ResNet:
    """ResNet-18: BasicBlock stages of 2, 2, 2, 2 (11.7 M parameters for 1000 classes).

    ``kwargs``: ``ResNet``'s keyword arguments (``small_input``, ``zero_init_residual``), as for every
    factory here.
    """
    return _resnet(BasicBlock, [2, 2, 2, 2], num_classes, in_channels, **kwargs)


def resnet34(num_classes: int = 1000, in_channels: int = 3, **kwargs: Any) -> ResNet:
    """ResNet-34: BasicBlock stages of 3, 4, 6, 3 (21.8 M parameters for 1000 classes)."""
    return _resnet(BasicBlock, [3, 4, 6, 3], num_classes, in_channels, **kwargs)


def resnet50(num_classes: int = 1000, in_channels: int = 3, **kwargs: Any) -> ResNet:
    """ResNet-50: Bottleneck stages of 3, 4, 6, 3 (25,557,032 parameters for 1000 classes, as torchvision)."""
    return _resnet(Bottleneck, [3, 4, 6, 3], num_classes, in_channels, **kwargs)


def resnet101(num_classes: int = 1000, in_channels: int = 3, **kwargs: Any) -> ResNet:
    """ResNet-101: Bottleneck stages of 3, 4, 23, 3 (44.5 M parameters for 1000 classes)."""
    return _resnet(Bottleneck, [3, 4, 23, 3], num_classes, in_channels, **kwargs)


def wide_resnet18(
    num_classes: int = 1000,
    in_channels: int = 3,
    *,
    widen_factor: int = 2,
    dropout: float = 0.0,
    **kwargs: Any,
) -> ResNet:
    """ResNet-18 layout with ``WideBasicBlock``: inner convs ``widen_factor`` times wider, dropout between."""
    kwargs["block_options"] = {"widen_factor": widen_factor, "dropout": dropout}
    return _resnet(WideBasicBlock, [2, 2, 2, 2], num_classes, in_channels, **kwargs)
