"""Study 12: 3x3, 5x5, 7x7 and 1x1+3x3 convolutions in CNNs of (nearly) equal parameter count, at 28x28,
each trained from 3 seeds on one equal budget."""

from __future__ import annotations

import numpy as np
from torch import nn

import torch_models

from . import plots
from .comparison import (
    VariantResult,
    add_comparison,
    field_method,
    headline,
    mode_setup,
    protocol,
    train_variant,
)
from .context import StudyContext
from .kernel_cnns import KERNEL_SIZES, KernelCNN, kernel_size_study
from .published import compare_with_published
from .registry import study
from .report import Report
from .torch_data import torch_device
from .torch_measure import outputs_of

TITLE = "Kernel size at equal parameter count: 3x3 / 5x5 / 7x7 / 1x1+3x3"
LAB_ITEM = "Lab C, item 4: kernel size at equal parameter count"
SEEDS = 3
NUM_LAYERS = 3
PARAM_BUDGET = 30_000
UNCLIPPED_SIDE = 160  # an input larger than any field here: the field before clipping to 28x28
MAPS_SHOWN = 8  # first-layer channels drawn per model


def _first_activation(model: KernelCNN) -> nn.Module:
    """The ReLU closing the first layer (after its BatchNorm)."""
    layers = list(model.features)
    first_bn = next(i for i, m in enumerate(layers) if isinstance(m, nn.BatchNorm2d))
    return layers[first_bn + 1]


def _field(model: nn.Module, side: int) -> str:
    height, width = torch_models.receptive_field(model, side)
    return f"{height}x{width}"


def field_note(results: list[VariantResult], side: int) -> str:
    """How the receptive fields are measured and which of them the image clips."""
    fields = {r.name: torch_models.receptive_field(r.runs[0].model, UNCLIPPED_SIDE)[0] for r in results}
    inside = [f"{name} ({field} px)" for name, field in fields.items() if field <= side]
    beyond = [f"{name} ({field} px)" for name, field in fields.items() if field > side]
    note = field_method(side, UNCLIPPED_SIDE)
    if inside:
        note += f" Inside the {side}-pixel image: {', '.join(inside)}."
    if beyond:
        note += f" Beyond it, so clipped to the whole image: {', '.join(beyond)}."
    return note


@study(12)
def run(ctx: StudyContext) -> Report:
    report = Report("kernel_size", TITLE, ctx)
    device = torch_device()
    data, schedule = mode_setup(ctx)
    report.uses(data.data)
    side = data.data.input_shape[-1]
    seeds = [ctx.seed + i for i in range(SEEDS)]

    shapes = kernel_size_study(
        data.num_classes, data.in_channels, param_budget=PARAM_BUDGET, num_layers=NUM_LAYERS
    )
    widths = {kernel: model.classifier.in_features for kernel, model in shapes.items()}
    results = [
        train_variant(
            kernel,
            lambda kernel=kernel: KernelCNN(
                data.num_classes, data.in_channels, kernel, widths[kernel], NUM_LAYERS
            ),
            data,
            schedule,
            seeds,
            device,
        )
        for kernel in KERNEL_SIZES
    ]

    report.headline = headline(results)
    counts = [r.parameters for r in results]
    report.text(
        f"Four CNNs of {NUM_LAYERS} layers (conv -> BN -> ReLU, 2x2 max-pool between layers, global average "
        f"pool, linear head) whose width is chosen so that each has about {PARAM_BUDGET:,} parameters "
        f"({min(counts):,} to {max(counts):,}): wider layers for small kernels, narrower for large ones. "
        + protocol(data, schedule, seeds, SEEDS * len(results))
    )
    report.table(
        [
            "kernel",
            "width",
            "parameters",
            f"receptive field at {side}x{side}",
            "unclipped field",
            "test acc (mean ± std)",
            "test acc per seed",
            "train acc",
        ],
        [
            [
                r.name,
                widths[r.name],
                f"{r.parameters:,}",
                _field(r.runs[0].model, side),
                _field(r.runs[0].model, UNCLIPPED_SIDE),
                f"{r.mean:.4f} ± {r.std:.4f}",
                ", ".join(f"{a:.4f}" for a in r.test_accuracies),
                f"{np.mean([run.history.accuracy[-1] for run in r.runs]):.4f}",
            ]
            for r in results
        ],
        caption=f"After {schedule.epochs} epochs; train accuracy of the last epoch, measured while training",
    )
    report.text(field_note(results, side))
    add_comparison(report, results, schedule, data.num_classes)
    compare_with_published(
        report,
        data.data,
        [
            (
                f"{r.name} ({r.parameters:,} parameters, {len(data.data.x_train):,} training images)",
                r.mean,
                "3 Conv+BN+pooling",
            )
            for r in results
            if r.name != "1x1+3x3"  # six convolutions: no published row matches
        ],
    )

    sample = next(iter(data.test))[0][:1]  # (1, C, H, W)
    maps = []
    for r in results:
        (activation,) = outputs_of(r.runs[0].model, [_first_activation(r.runs[0].model)], sample)
        maps.append(activation[0, :MAPS_SHOWN, None].numpy())  # (MAPS_SHOWN, 1, H, W)
    report.figure(
        "input.png",
        plots.image_grid(sample.numpy(), "Input image"),
        "The test image the maps are computed on",
    )
    report.figure(
        "first_layer_maps.png",
        plots.image_grid(
            np.concatenate(maps), f"First-layer maps; rows: {', '.join(KERNEL_SIZES)}", ncols=MAPS_SHOWN
        ),
        f"First-layer activation maps (first {MAPS_SHOWN} channels) of each model (seed {seeds[0]}) for the "
        "image above",
    )
    report.settings.update(
        {
            "input size": f"{side}x{side}",
            "parameter budget": PARAM_BUDGET,
            "layers": NUM_LAYERS,
            "schedule": schedule.description(),
            "seeds": seeds,
            "device": device,
        }
    )
    return report
