"""The residual-block study's models: small-input ResNets (one block per stage) built from basic,
bottleneck or wide blocks at one parameter budget (``studies.param_budget`` picks each width)."""

from __future__ import annotations

import functools

from convkit._validation import int_at_least, one_of, positive_int
from torch_models import BasicBlock, Bottleneck, ResNet, WideBasicBlock

from .param_budget import models_at_budget

BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck, "wide": WideBasicBlock}
STAGES = (1, 1, 1, 1)  # one block per stage: the ResNet-10 layout
STAGE_SHARES = (1 / 8, 1 / 4, 1 / 2, 1)  # stage widths relative to the last, as torchvision's 64..512
WIDEN_FACTOR = 2


def stage_widths(width: int) -> tuple[int, ...]:
    """The four stage widths of a net whose last stage has ``width`` planes: 64 -> (8, 16, 32, 64)."""
    return tuple(max(1, round(width * share)) for share in STAGE_SHARES)


def residual_net(block: str, num_classes: int = 10, in_channels: int = 1, width: int = 64) -> ResNet:
    """A ResNet with one ``block`` ("basic", "bottleneck" or "wide") per stage, ``stage_widths(width)``
    planes and the 3x3 stride-1 stem of small inputs; the wide block is ``WIDEN_FACTOR`` times wider inside.
    """
    one_of(block, tuple(BLOCKS), "block", "residual_net")
    options = {"widen_factor": WIDEN_FACTOR} if block == "wide" else None
    return ResNet(
        BLOCKS[block],
        STAGES,
        num_classes,
        in_channels,
        small_input=True,
        block_options=options,
        widths=stage_widths(positive_int(width, "width", "residual_net")),
    )


def residual_block_study(
    num_classes: int = 10, in_channels: int = 1, *, param_budget: int = 40_000
) -> dict[str, ResNet]:
    """One ``residual_net`` per block of ``BLOCKS``, each with the width that brings it nearest to
    ``param_budget`` parameters; raises ValueError when the counts cannot be matched within 5%."""
    num_classes = positive_int(num_classes, "num_classes", "residual_block_study")
    in_channels = positive_int(in_channels, "in_channels", "residual_block_study")
    param_budget = int_at_least(param_budget, 1000, "param_budget", "residual_block_study")

    builders = {block: functools.partial(residual_net, block, num_classes, in_channels) for block in BLOCKS}
    return models_at_budget(builders, param_budget, "residual_block_study")
