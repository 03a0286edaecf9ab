"""Models of one family built at one parameter budget: each gets the width that brings its parameter count
nearest to the budget, so that a difference in accuracy comes from the design rather than from capacity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch import nn

from torch_models import count_parameters

COUNT_TOLERANCE = 0.05  # largest parameter count at most 5% above the smallest


def width_for_budget(build: Callable[[int], nn.Module], budget: int) -> int:
    """The width whose model has the parameter count nearest to ``budget`` (counts grow with width).

    Candidate models are built on the meta device: shapes only, no memory and no initialization.
    """

    def params(width: int) -> int:
        with torch.device("meta"):
            return count_parameters(build(width))

    high = 1
    while params(high) < budget:
        high *= 2
    low = high // 2 + 1 if high > 1 else 1
    while low < high:  # smallest width with params(width) >= budget
        mid = (low + high) // 2
        if params(mid) >= budget:
            high = mid
        else:
            low = mid + 1
    if high > 1 and budget - params(high - 1) < params(high) - budget:
        return high - 1
    return high


def models_at_budget(
    builders: Mapping[str, Callable[[int], nn.Module]], budget: int, where: str
) -> dict[str, nn.Module]:
    """``{name: build(width)}`` with each width from ``width_for_budget``.

    Raises ValueError (naming ``where``) when the largest count is more than ``COUNT_TOLERANCE`` above the
    smallest: the budget is too small for width steps to match them.
    """
    models = {name: build(width_for_budget(build, budget)) for name, build in builders.items()}
    counts = {name: count_parameters(model) for name, model in models.items()}
    if max(counts.values()) > (1 + COUNT_TOLERANCE) * min(counts.values()):
        raise ValueError(
            f"{where}: param_budget is too small to match the parameter counts within "
            f"{COUNT_TOLERANCE:.0%} (nearest widths give {counts}). Received: param_budget={budget}"
        )
    return models
