"""Measuring a model: its parameter count and the receptive field of its last feature map."""

from __future__ import annotations

import copy
import numbers

import torch
from torch import nn

from convkit._validation import positive_int


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of scalar parameters (only those with ``requires_grad`` when ``trainable_only``)."""
    if not isinstance(model, nn.Module):
        raise TypeError(
            f"count_parameters: model must be a torch.nn.Module. Received: model={type(model).__name__}"
        )
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def _positive_probe(model: nn.Module) -> nn.Module:
    """A float64 CPU copy in eval mode in which every path from input to output carries a positive value.

    Max-pools become average pools of the same window (the gradient reaches every position of the
    window, not only the argmax), convolution and linear weights become ``1 / fan_in``, biases zero and
    BatchNorm the identity. With a positive input every ReLU then passes, so the gradient of an output
    unit is non-zero exactly on the pixels connected to it.
    """
    probe = copy.deepcopy(model).to(device="cpu", dtype=torch.float64).eval()
    for parent in list(probe.modules()):
        for name, child in parent.named_children():
            if isinstance(child, nn.MaxPool2d):
                replacement: nn.Module = nn.AvgPool2d(
                    child.kernel_size, child.stride, child.padding, child.ceil_mode
                )
                setattr(parent, name, replacement)
            elif isinstance(child, nn.AdaptiveMaxPool2d):
                setattr(parent, name, nn.AdaptiveAvgPool2d(child.output_size))
    with torch.no_grad():
        for m in probe.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.fill_(m.weight[0].numel() ** -1)  # 1 / fan_in per output unit (grouped convs too)
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
                m.reset_parameters()  # running mean 0, running var 1, weight 1, bias 0
    return probe


def receptive_field(model: nn.Module, input_size: int | tuple[int, int]) -> tuple[int, int]:
    """(height, width) in input pixels seen by one unit at the centre of the model's last feature map.

    The last feature map is the last 4-D output of a leaf module in the forward pass, adaptive (global)
    pooling excluded: the input of the classifier head. The field is measured, not derived from a
    formula: a copy of the model is made positive along every path (see ``_positive_probe``) and the
    input pixels with a non-zero gradient of the centre unit are counted, so residual branches, pooling
    and strides are all taken into account. A field larger than ``input_size`` is clipped to it. Other
    layers are kept as they are; the result is exact when they map positive values to positive values
    with a non-zero gradient (ReLU, Mish, dropout and channel attention do; a weight-standardized conv
    does not).

    ``input_size`` is an int for square inputs or (height, width); the input channels are read from the
    first convolution. Example: LeNet (two rounds of 3x3 conv and 2x2 max-pool) sees 10x10 pixels.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(
            f"receptive_field: model must be a torch.nn.Module. Received: model={type(model).__name__}"
        )
    if isinstance(input_size, numbers.Integral) and not isinstance(input_size, bool):
        input_size = (input_size, input_size)
    if not isinstance(input_size, (tuple, list)) or len(input_size) != 2:
        raise TypeError(
            "receptive_field: input_size must be an int or a (height, width) pair. "
            f"Received: input_size={input_size!r}"
        )
    height, width = (positive_int(s, "input_size", "receptive_field") for s in input_size)
    first_conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    if first_conv is None:
        raise ValueError(
            "receptive_field: model has no Conv2d layer, so no feature map. "
            f"Received: model={type(model).__name__}"
        )

    probe = _positive_probe(model)
    feature_maps: list[torch.Tensor] = []

    def keep_feature_map(module: nn.Module, inputs, output) -> None:
        global_pool = isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d))
        if isinstance(output, torch.Tensor) and output.dim() == 4 and not global_pool:
            feature_maps.append(output)

    leaves = [m for m in probe.modules() if not any(True for _ in m.children())]
    handles = [m.register_forward_hook(keep_feature_map) for m in leaves]
    x = torch.ones(1, first_conv.in_channels, height, width, dtype=torch.float64, requires_grad=True)
    try:
        probe(x)
    finally:
        for handle in handles:
            handle.remove()
    fmap = feature_maps[-1]  # (1, C, h, w)
    centre = fmap[0, :, fmap.shape[2] // 2, fmap.shape[3] // 2].sum()
    (grad,) = torch.autograd.grad(centre, x)
    seen = grad[0].abs().sum(0) > 0  # (height, width)
    rows = seen.any(1).nonzero()
    cols = seen.any(0).nonzero()
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)
