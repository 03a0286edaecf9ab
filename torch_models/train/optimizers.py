"""Optimizers by name, with weight decay on weight matrices and kernels only."""

from __future__ import annotations

import torch
from torch import nn

from .._validation import one_of, positive_real, real

# name -> (class, fixed options)
OPTIMIZERS: dict[str, tuple[type[torch.optim.Optimizer], dict]] = {
    "adamax": (torch.optim.Adamax, {}),
    "adam": (torch.optim.Adam, {}),
    "adamw": (torch.optim.AdamW, {}),
    "sgd": (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    "rmsprop": (torch.optim.RMSprop, {}),
}


def make_optimizer(
    name: str, model: nn.Module, lr: float, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    """The optimizer ``name`` (a key of ``OPTIMIZERS``) over the trainable parameters of ``model``.

    ``weight_decay`` applies to parameters with two or more dimensions (conv kernels, linear weights);
    biases, BatchNorm scales and other vectors are not decayed. SGD uses Nesterov momentum 0.9.
    """
    one_of(name, tuple(OPTIMIZERS), "optimizer", "make_optimizer")
    lr = positive_real(lr, "lr", "make_optimizer")
    weight_decay = real(weight_decay, "weight_decay", "make_optimizer", low=0.0, high=None)
    params = [p for p in model.parameters() if p.requires_grad]
    decayed = [p for p in params if p.dim() > 1]
    others = [p for p in params if p.dim() <= 1]
    groups = [
        {"params": decayed, "weight_decay": weight_decay},
        {"params": others, "weight_decay": 0.0},
    ]
    cls, options = OPTIMIZERS[name]
    return cls([g for g in groups if g["params"]], lr=lr, **options)
