"""Study 13: plain vs residual CNNs of growing depth; gradient norms per layer and gradient clipping."""

from __future__ import annotations

import copy

import numpy as np

import torch_models
from torch_models import ConvBlock
from torch_models.train import fit, seed_everything

from . import plots
from .context import StudyContext
from .depth_cnns import depth_study
from .registry import study
from .report import Report
from .torch_data import digit_loaders, torch_device
from .torch_measure import outputs_of

TITLE = "Depth: plain vs residual CNNs of 2 / 4 / 6+ layers, gradient norms and clipping"
CLIP_NORM = 1.0
MAPS_SHOWN = 8  # channels of the last block drawn per model


@study(13)
def run(ctx: StudyContext) -> Report:
    report = Report("depth", TITLE, ctx)
    device = torch_device()
    size = ctx.pick(full=28, quick=16, tiny=8)
    depths = ctx.pick(full=(2, 4, 6, 8, 12), quick=(2, 4, 8), tiny=(2, 6))
    epochs = ctx.pick(full=20, quick=8, tiny=1)
    width = 16
    batch_size = 32
    optimizer, lr = "adamax", 2e-3
    n_train, n_test = ctx.pick(full=(None, None), quick=(None, None), tiny=(64, 32))
    data, arrays = digit_loaders(ctx, size=size, n_train=n_train, n_test=n_test, batch_size=batch_size)
    side = arrays.input_shape[-1]

    def train(model, clip: float | None):
        return fit(
            model,
            data.train,
            data.test,
            optimizer=optimizer,
            lr=lr,
            epochs=epochs,
            clip_grad_norm=clip,
            seed=ctx.seed,
            device=device,
            track_grad_norms=True,
            progress=False,
        )

    seed_everything(ctx.seed)
    models = depth_study(data.num_classes, data.in_channels, depths=depths, width=width, batch_norm=False)
    deepest = f"plain_{max(depths)}"
    clipped_model = copy.deepcopy(models[deepest])  # the same initial weights, trained with clipping
    histories = {name: train(model, None) for name, model in models.items()}
    clipped = train(clipped_model, CLIP_NORM)

    rows, test_acc, ratios = [], {}, {}
    for name, history in histories.items():
        kind, depth = name.split("_")
        norms = list(history.grad_norms[0].values())  # first epoch: layers from input to classifier
        test_acc[name] = history.val_accuracy[-1]
        ratios[name] = norms[0] / norms[-1]
        rows.append(
            [
                depth,
                kind,
                f"{torch_models.count_parameters(models[name]):,}",
                history.loss[-1],
                test_acc[name],
                sum(history.epoch_time),
                norms[0],
                norms[-1],
                ratios[name],
            ]
        )
    top = max(depths)
    plain, residual = f"plain_{top}", f"residual_{top}"
    report.headline = (
        f"{top} conv layers: residual {test_acc[residual]:.1%} vs plain {test_acc[plain]:.1%} test accuracy"
    )
    shallow, deep = f"plain_{min(depths)}", plain
    trend = "shrinks" if ratios[deep] < ratios[shallow] else "does not shrink"
    clip_effect = clipped.val_accuracy[-1] - test_acc[plain]
    report.text(
        f"CNNs of {', '.join(map(str, depths))} 3x3 conv layers ({width} channels, two convs per block, "
        "max-pools after the first two blocks, no BatchNorm so that depth alone acts on the gradients), "
        f"each plain and with skip connections, trained with Adamax (lr {lr:g}) for {epochs} epochs on "
        f"{data.name} at {side}x{side}. "
        f"At {top} layers the residual net reaches {test_acc[residual]:.1%} test accuracy and the plain "
        f"net {test_acc[plain]:.1%}. In the plain nets the gradient reaching the first conv layer, relative "
        f"to the classifier's, {trend} with depth (ratio {ratios[shallow]:.3g} at {min(depths)} layers, "
        f"{ratios[deep]:.3g} at {top}); with skips it is {ratios[residual]:.3g} at {top}. "
        f"Clipping the global gradient norm to {CLIP_NORM:g} (torch.nn.utils.clip_grad_norm_) changes the "
        f"deepest plain net's test accuracy by {clip_effect:+.1%} "
        f"({test_acc[plain]:.1%} -> {clipped.val_accuracy[-1]:.1%}). Adamax divides each step by a running "
        "maximum of the gradient's size, so a global rescaling of the gradient changes its steps only where "
        "the norm rises above the clip value relative to earlier steps."
    )
    report.table(
        [
            "conv layers",
            "kind",
            "parameters",
            "train loss",
            "test acc",
            "train time (s)",
            "grad norm, first layer",
            "grad norm, classifier",
            "ratio",
        ],
        rows,
        caption="Gradient norms: mean over the first epoch's steps; times on a shared 2-core machine",
    )
    report.figure(
        "grad_norms.png",
        plots.layer_profile(
            {n: list(h.grad_norms[0].values()) for n, h in histories.items()},
            "Gradient norm per layer (first epoch)",
            "L2 norm of the layer's gradient",
        ),
        "Gradient norms per layer, input side first: vanishing shows as a line falling towards the input",
    )
    report.figure(
        "test_accuracy.png",
        plots.curves(
            {n: h.val_accuracy for n, h in histories.items()}, "Test accuracy per epoch", "accuracy"
        ),
        "Test accuracy per epoch",
    )
    report.table(
        ["model", "final train loss", "test acc", "largest layer grad norm"],
        [
            [
                f"{plain}{label}",
                h.loss[-1],
                h.val_accuracy[-1],
                max(max(epoch.values()) for epoch in h.grad_norms),
            ]
            for label, h in (("", histories[plain]), (f", clipped at {CLIP_NORM:g}", clipped))
        ],
        caption="Gradient clipping on the deepest plain net (same initial weights and batches)",
    )
    report.figure(
        "clipping.png",
        plots.curves(
            {plain: histories[plain].loss, f"{plain} clipped": clipped.loss},
            "Training loss with and without clipping",
            "loss",
        ),
        f"Training loss of {plain} with and without clip_grad_norm_({CLIP_NORM:g})",
    )
    sample = next(iter(data.test))[0][:1]  # (1, C, H, W)
    maps = []
    for name in (plain, residual):
        last_block = [m for m in models[name].modules() if isinstance(m, ConvBlock)][-1]
        (fmap,) = outputs_of(models[name], [last_block], sample)
        maps.append(fmap[0, :MAPS_SHOWN, None].numpy())  # (MAPS_SHOWN, 1, h, w)
    report.figure(
        "feature_maps.png",
        plots.image_grid(np.concatenate(maps), f"Last block's maps; rows: {plain}, {residual}", MAPS_SHOWN),
        f"Feature maps of the last block (first {MAPS_SHOWN} channels) for one test image",
    )
    report.settings.update(
        {
            "data": data.name,
            "input size": f"{side}x{side}",
            "depths": depths,
            "width": width,
            "batch norm": False,
            "optimizer": optimizer,
            "learning rate": lr,
            "epochs": epochs,
            "batch size": batch_size,
            "clip norm": CLIP_NORM,
            "device": device,
        }
    )
    return report
