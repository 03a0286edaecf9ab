"""Study 15: ResNets built from basic, bottleneck and wide residual blocks, each trained from 3 seeds."""

from __future__ import annotations

import numpy as np
from torch import nn

import torch_models
from torch_models import BasicBlock, Bottleneck, ResNet, WideBasicBlock
from torch_models.train import fit, seed_everything

from . import plots
from .context import StudyContext
from .registry import study
from .report import Report
from .torch_data import digit_loaders, torch_device

TITLE = "Residual blocks: basic vs bottleneck vs wide, over 3 seeds"
SEEDS = 3
STAGES = (1, 1, 1, 1)  # one block per stage: the ResNet-10 layout
WIDEN_FACTOR = 2


def _model(block: str, num_classes: int, in_channels: int) -> nn.Module:
    """A small-input ResNet with one block of kind ``block`` per stage."""
    classes = {"basic": BasicBlock, "bottleneck": Bottleneck, "wide": WideBasicBlock}
    options = {"widen_factor": WIDEN_FACTOR} if block == "wide" else None
    return ResNet(classes[block], STAGES, num_classes, in_channels, small_input=True, block_options=options)


@study(15)
def run(ctx: StudyContext) -> Report:
    report = Report("residual_blocks", TITLE, ctx)
    device = torch_device()
    # 8 px is the digits' native resolution: the small-input ResNets see all there is, at a quarter of
    # the cost of 16 px
    size = ctx.pick(full=28, quick=8, tiny=8)
    epochs = ctx.pick(full=15, quick=5, tiny=1)
    batch_size = 32
    lr = 2e-3
    # nine trainings of 5-10 M parameter nets: quick mode keeps the sets small
    n_train, n_test = ctx.pick(full=(None, None), quick=(320, 200), tiny=(16, 16))
    data, arrays = digit_loaders(ctx, size=size, n_train=n_train, n_test=n_test, batch_size=batch_size)
    side = arrays.input_shape[-1]
    seeds = [ctx.seed + i for i in range(SEEDS)]

    results: dict[str, dict[str, list]] = {}
    params = {}
    for block in ("basic", "bottleneck", "wide"):
        runs = {"test": [], "train": [], "time": [], "curve": []}
        for seed in seeds:
            seed_everything(seed)
            model = _model(block, data.num_classes, data.in_channels)
            params[block] = torch_models.count_parameters(model)
            history = fit(
                model,
                data.train,
                data.test,
                optimizer="adamax",
                lr=lr,
                epochs=epochs,
                seed=seed,
                device=device,
                progress=False,
            )
            runs["test"].append(history.val_accuracy[-1])
            runs["train"].append(history.accuracy[-1])
            runs["time"].append(sum(history.epoch_time))
            runs["curve"].append(history.val_accuracy)
        results[block] = runs

    mean = {b: float(np.mean(r["test"])) for b, r in results.items()}
    std = {b: float(np.std(r["test"])) for b, r in results.items()}
    best = max(mean, key=mean.get)
    steadiest = min(std, key=std.get)
    report.headline = (
        f"best {best} block: test accuracy {mean[best]:.1%} ± {std[best]:.1%} over {SEEDS} seeds"
    )
    report.text(
        f"Three ResNets with one residual block per stage (64-128-256-512 planes, 3x3 stem without max-pool)"
        f" that differ only in the block: basic (two 3x3 convs), bottleneck (1x1-3x3-1x1, 4x expansion) and "
        f"wide (basic with the inner width x{WIDEN_FACTOR}). Each is trained from {SEEDS} seeds (initial "
        f"weights and batch order) with Adamax (lr {lr:g}) for {epochs} epochs on {data.name} at "
        f"{side}x{side}. The {best} block reaches the best mean test accuracy, {mean[best]:.1%} ± "
        f"{std[best]:.1%}; the {steadiest} block varies least across seeds (± {std[steadiest]:.1%}). "
        "± is the standard deviation over seeds."
    )
    report.table(
        ["block", "parameters", "test acc", "train acc", "train time (s)", "test acc per seed"],
        [
            [
                block,
                f"{params[block]:,}",
                f"{mean[block]:.4f} ± {std[block]:.4f}",
                f"{np.mean(r['train']):.4f} ± {np.std(r['train']):.4f}",
                f"{np.mean(r['time']):.3g} ± {np.std(r['time']):.2g}",
                ", ".join(f"{a:.3f}" for a in r["test"]),
            ]
            for block, r in results.items()
        ],
        caption=f"Mean ± standard deviation over seeds {seeds}; times on a shared 2-core machine",
    )
    report.figure(
        "test_accuracy.png",
        plots.bar_with_errors(
            list(mean), list(mean.values()), list(std.values()), "Test accuracy over seeds", "accuracy"
        ),
        f"Final test accuracy, mean ± std over {SEEDS} seeds",
    )
    report.figure(
        "curves.png",
        plots.curves(
            {b: np.mean(r["curve"], axis=0).tolist() for b, r in results.items()},
            "Test accuracy per epoch (mean over seeds)",
            "accuracy",
        ),
        "Test accuracy per epoch, averaged over seeds",
    )
    report.settings.update(
        {
            "data": data.name,
            "input size": f"{side}x{side}",
            "stages": STAGES,
            "widen factor (wide)": WIDEN_FACTOR,
            "seeds": seeds,
            "optimizer": "adamax",
            "learning rate": lr,
            "epochs": epochs,
            "batch size": batch_size,
            "device": device,
        }
    )
    return report
