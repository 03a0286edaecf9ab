"""torch_models: PyTorch models beside convkit (ResNets, LeNet, small CNNs and MLPs, custom autograd layers).

Factories take ``num_classes`` and ``in_channels`` first, e.g. ``torch_models.resnet50(num_classes=196)``.
The trainer lives in ``torch_models.train`` (``from torch_models.train import fit``; CLI:
``python -m torch_models.train``).
"""

try:
    import torch  # noqa: F401
except ImportError as err:
    raise ImportError(
        "torch_models needs PyTorch, torchvision and tqdm, which convkit installs as an extra: "
        "pip install convkit[torch]"
    ) from err

from . import layers
from .analysis import count_parameters, receptive_field
from .block_cnn import BlockCNN, ConvBlock, regularized_residual_cnn, residual_cnn
from .lenet import lenet
from .mlp import mlp
from .resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    WideBasicBlock,
    conv1x1,
    conv3x3,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    wide_resnet18,
)
from .simple_cnn import SimpleCNN, simple_cnn

__all__ = [
    "BasicBlock",
    "BlockCNN",
    "Bottleneck",
    "ConvBlock",
    "ResNet",
    "SimpleCNN",
    "WideBasicBlock",
    "conv1x1",
    "conv3x3",
    "count_parameters",
    "layers",
    "lenet",
    "mlp",
    "receptive_field",
    "regularized_residual_cnn",
    "residual_cnn",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "simple_cnn",
    "wide_resnet18",
]
