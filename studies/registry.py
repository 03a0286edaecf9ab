"""The studies by name, in the order of the lab. A study module is imported only when it is run."""

from __future__ import annotations

import importlib
from types import ModuleType

# name -> module of this package, in the lab's order
STUDIES: dict[str, str] = {
    # convkit
    "two_layer_net": "two_layer_net",  # 1. two-layer net trained with fit
    "sgd_momentum": "sgd_momentum",  # 2. six-layer net: SGD vs SGD+momentum
    "update_rules": "update_rules",  # 3. RMSprop, Adam, Adamax vs SGD+momentum
    "best_fc_net": "best_fc_net",  # 4. the best fully connected net (small search)
    "batchnorm": "batchnorm",  # 5. batch norm on 1,000 images; batch-size sweep
    "dropout": "dropout",  # 6. dropout 0.25 vs none on 500 images
    "three_layer_convnet": "three_layer_convnet",  # 7. overfit 100 images, full training, filters
    "lenet": "lenet",  # 8. LeNet accuracy curves
    "convkit_vs_torch": "convkit_vs_torch",  # 9. the same CNN in convkit and PyTorch
    # torch_models
    "resnet50_optimizers": "resnet50_optimizers",  # 10. ResNet50: Adamax vs Adam
    "architectures": "architectures",  # 11. FC vs CNN vs residual CNN (+ regularization)
    "kernel_size": "kernel_size",  # 12. 3x3 / 5x5 / 7x7 / 1x1+3x3 at equal parameters
    "depth": "depth",  # 13. 2 / 4 / 6+ layers, plain vs residual
    "custom_layers": "custom_layers",  # 14. custom autograd layers vs torch.nn
    "residual_blocks": "residual_blocks",  # 15. basic vs bottleneck vs wide blocks
}


def get_study(name: str) -> ModuleType:
    """The module of study ``name``; it has ``TITLE`` and ``run(ctx) -> Report``."""
    if name not in STUDIES:
        raise ValueError(f"Unknown study {name!r}. Known: {', '.join(STUDIES)}")
    return importlib.import_module(f"studies.{STUDIES[name]}")
