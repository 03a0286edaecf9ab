"""Study 12: 3x3, 5x5, 7x7 and 1x1+3x3 convolutions in CNNs of (nearly) equal parameter count."""

from __future__ import annotations

import numpy as np
from torch import nn

import torch_models
from torch_models.train import fit, seed_everything

from . import plots
from .context import StudyContext
from .kernel_cnns import KernelCNN, kernel_size_study
from .registry import study
from .report import Report
from .torch_data import digit_loaders, torch_device
from .torch_measure import inference_ms_per_image, outputs_of

TITLE = "Kernel size at equal parameter count: 3x3 / 5x5 / 7x7 / 1x1+3x3"
MAPS_SHOWN = 8  # first-layer channels drawn per model


def _first_activation(model: KernelCNN) -> nn.Module:
    """The ReLU closing the first layer (after its BatchNorm)."""
    layers = list(model.features)
    first_bn = next(i for i, m in enumerate(layers) if isinstance(m, nn.BatchNorm2d))
    return layers[first_bn + 1]


@study(12)
def run(ctx: StudyContext) -> Report:
    report = Report("kernel_size", TITLE, ctx)
    device = torch_device()
    size = ctx.pick(full=28, quick=16, tiny=8)
    epochs = ctx.pick(full=15, quick=5, tiny=1)
    budget = ctx.pick(full=100_000, quick=30_000, tiny=20_000)  # smaller budgets miss the 5% match
    num_layers = 3
    batch_size = 32
    lr = 2e-3
    n_train, n_test = ctx.pick(full=(None, None), quick=(600, None), tiny=(64, 32))
    data, arrays = digit_loaders(ctx, size=size, n_train=n_train, n_test=n_test, batch_size=batch_size)
    side = arrays.input_shape[-1]

    seed_everything(ctx.seed)
    models = kernel_size_study(data.num_classes, data.in_channels, param_budget=budget, num_layers=num_layers)
    sample = next(iter(data.test))[0][:1]  # (1, C, H, W)
    rows, histories, maps = [], {}, []
    test_acc = {}
    for kernel, model in models.items():
        history = fit(
            model,
            data.train,
            data.test,
            optimizer="adamax",
            lr=lr,
            epochs=epochs,
            seed=ctx.seed,
            device=device,
            progress=False,
        )
        histories[kernel] = history
        test_acc[kernel] = history.val_accuracy[-1]
        field = torch_models.receptive_field(model, side)
        width = model.classifier.in_features
        rows.append(
            [
                kernel,
                width,
                f"{torch_models.count_parameters(model):,}",
                f"{field[0]}x{field[1]}",
                test_acc[kernel],
                sum(history.epoch_time),
                inference_ms_per_image(model, data.test, device),
            ]
        )
        (activation,) = outputs_of(model, [_first_activation(model)], sample)
        maps.append(activation[0, :MAPS_SHOWN, None].numpy())  # (MAPS_SHOWN, 1, H, W)

    best = max(test_acc, key=test_acc.get)
    worst = min(test_acc, key=test_acc.get)
    counts = [torch_models.count_parameters(m) for m in models.values()]
    report.headline = (
        f"best {best}: test accuracy {test_acc[best]:.1%} (worst {worst}: {test_acc[worst]:.1%})"
    )
    report.text(
        f"Four CNNs of {num_layers} layers (conv -> BN -> ReLU, 2x2 max-pool between layers, global average "
        f"pool, linear head) whose width is chosen so that each has about {budget:,} parameters "
        f"({min(counts):,} to {max(counts):,}): wider layers for small kernels, narrower for large ones. "
        f"Trained on {data.name} at {side}x{side} with Adamax (lr {lr:g}) for {epochs} epochs. "
        f"At this budget {best} reaches the best test accuracy ({test_acc[best]:.1%}) and {worst} the worst "
        f"({test_acc[worst]:.1%}); the spread is {test_acc[best] - test_acc[worst]:.1%}. The receptive "
        "field is measured from gradients (clipped to the image), not derived from a formula."
    )
    report.table(
        [
            "kernel",
            "width",
            "parameters",
            "receptive field",
            "test acc",
            "train time (s)",
            "inference (ms/img)",
        ],
        rows,
        caption="After training; times on a shared 2-core machine are indicative only",
    )
    report.figure(
        "test_accuracy.png",
        plots.curves(
            {k: h.val_accuracy for k, h in histories.items()}, "Test accuracy per epoch", "accuracy"
        ),
        "Test accuracy per epoch for each kernel shape",
    )
    report.figure(
        "accuracy_bar.png",
        plots.bar(list(test_acc), list(test_acc.values()), "Final test accuracy", "accuracy"),
        "Final test accuracy",
    )
    report.figure(
        "input.png",
        plots.image_grid(sample.numpy(), "Input image"),
        "The test image the maps are computed on",
    )
    report.figure(
        "first_layer_maps.png",
        plots.image_grid(
            np.concatenate(maps), f"First-layer maps; rows: {', '.join(models)}", ncols=MAPS_SHOWN
        ),
        f"First-layer activation maps (first {MAPS_SHOWN} channels) of each model for the image above",
    )
    report.settings.update(
        {
            "data": data.name,
            "input size": f"{side}x{side}",
            "parameter budget": budget,
            "layers": num_layers,
            "optimizer": "adamax",
            "learning rate": lr,
            "epochs": epochs,
            "batch size": batch_size,
            "device": device,
        }
    )
    return report
