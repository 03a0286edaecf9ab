"""The models of the depth study: plain and residual CNNs of 2, 4, 6, 8 ... conv layers, else identical."""

from __future__ import annotations

from collections.abc import Sequence

from convkit._validation import positive_int, positive_ints
from torch_models import BlockCNN


def depth_study(
    num_classes: int = 10,
    in_channels: int = 1,
    *,
    depths: Sequence[int] = (2, 4, 6, 8),
    width: int = 32,
    batch_norm: bool = True,
) -> dict[str, BlockCNN]:
    """Models named ``"plain_<depth>"`` and ``"residual_<depth>"`` for every depth.

    A depth of ``d`` 3x3 conv layers is ``d // 2`` ``ConvBlock``\\ s of ``width`` channels (``d`` must be
    even); max-pools follow the first two blocks. Plain and residual models of one depth differ only by
    the skip connections, which isolates their effect as the network deepens.
    """
    depths = positive_ints(depths, "depths", "depth_study")
    width = positive_int(width, "width", "depth_study")
    if any(d % 2 for d in depths):
        raise ValueError(f"depth_study: depths must be even (two convs per block). Received: depths={depths}")
    models = {}
    for depth in depths:
        widths = (width,) * (depth // 2)
        for kind in ("plain", "residual"):
            models[f"{kind}_{depth}"] = BlockCNN(
                num_classes, in_channels, widths, residual=kind == "residual", batch_norm=batch_norm
            )
    return models
