"""LeNet as convkit builds it, layer for layer, so weights copy across in order."""

from __future__ import annotations

from torch import nn

from convkit._validation import int_at_least, positive_int


def _lenet_feature_size(image_size: int) -> int:
    """Side of the last feature map: (3x3 valid conv, 2x2 max-pool) twice. 28 -> 26 -> 13 -> 11 -> 5."""
    return ((image_size - 2) // 2 - 2) // 2


def lenet(num_classes: int = 10, in_channels: int = 1, image_size: int = 28) -> nn.Sequential:
    """conv3x3(in->6) ReLU maxpool2, conv3x3(6->16) ReLU maxpool2, flatten, 120, ReLU, 84, ReLU, classes.

    A plain ``nn.Sequential`` in the layer order of convkit's LeNet, so parameters copy over in order
    (``list(model.parameters())``). Convolutions are unpadded; a 28x28 input flattens to 16*5*5 = 400.
    ``image_size`` (the side of square inputs) must be at least 10.
    """
    num_classes = positive_int(num_classes, "num_classes", "lenet")
    in_channels = positive_int(in_channels, "in_channels", "lenet")
    image_size = int_at_least(image_size, 10, "image_size", "lenet")
    side = _lenet_feature_size(image_size)
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, kernel_size=3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, kernel_size=3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),  # (N, 16*side*side)
        nn.Linear(16 * side * side, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, num_classes),
    )
