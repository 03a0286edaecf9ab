"""Optimizers by convkit's names and meanings, with weight decay on weight matrices and kernels only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from convkit._validation import non_negative_float, one_of, positive_float

# name -> (class, defaults), as ``convkit.optimizers.get``: "sgd" is plain SGD, "momentum" SGD with
# momentum 0.9; the options given to ``make_optimizer`` override the defaults.
OPTIMIZERS: dict[str, tuple[type[torch.optim.Optimizer], dict[str, Any]]] = {
    "sgd": (torch.optim.SGD, {}),
    "momentum": (torch.optim.SGD, {"momentum": 0.9}),
    "rmsprop": (torch.optim.RMSprop, {}),
    "adam": (torch.optim.Adam, {}),
    "adamax": (torch.optim.Adamax, {}),
    "adamw": (torch.optim.AdamW, {}),
}


def make_optimizer(
    name: str,
    model: nn.Module,
    lr: float,
    weight_decay: float = 0.0,
    options: Mapping[str, Any] | None = None,
) -> torch.optim.Optimizer:
    """The optimizer ``name`` (a key of ``OPTIMIZERS``) over the trainable parameters of ``model``.

    ``weight_decay`` applies to parameters with two or more dimensions (conv kernels, linear weights);
    biases, BatchNorm scales and other vectors are not decayed. ``options`` are further keyword
    arguments of the torch optimizer, e.g. ``{"momentum": 0.9, "nesterov": True}`` for "sgd".
    """
    one_of(name, tuple(OPTIMIZERS), "optimizer", "make_optimizer")
    lr = positive_float(lr, "lr", "make_optimizer")
    weight_decay = non_negative_float(weight_decay, "weight_decay", "make_optimizer")
    if options is not None and not isinstance(options, Mapping):
        raise TypeError(f"make_optimizer: options must be a dict of keyword arguments. Received: {options!r}")
    cls, defaults = OPTIMIZERS[name]
    kwargs = {**defaults, **(options or {})}
    for key in ("lr", "weight_decay"):
        if key in kwargs:
            raise ValueError(
                f"make_optimizer: {key} is an argument of its own, not an option. "
                f"Received: options={options!r}"
            )
    params = [p for p in model.parameters() if p.requires_grad]
    decayed = [p for p in params if p.dim() > 1]
    others = [p for p in params if p.dim() <= 1]
    groups = [
        {"params": decayed, "weight_decay": weight_decay},
        {"params": others, "weight_decay": 0.0},
    ]
    try:
        return cls([g for g in groups if g["params"]], lr=lr, **kwargs)
    except (TypeError, ValueError) as err:  # an unknown or out-of-range option, as torch words it
        raise type(err)(f"make_optimizer: {err}. Received: options={options!r}") from err
