"""Study 10: ResNet-50 trained with Adamax and with Adam from the same initial weights."""

from __future__ import annotations

import copy

from torch import nn

import torch_models
from torch_models.train import fit, seed_everything

from . import plots
from .context import StudyContext
from .registry import study
from .report import Report
from .torch_data import TorchData, digit_loaders, has_image_folder, image_folder_data, torch_device

TITLE = "ResNet-50: Adamax vs Adam"
OPTIMIZERS = ("adamax", "adam")
BN_MOMENTUM_SHORT_RUNS = 0.5  # quick and tiny modes


def _data(ctx: StudyContext, batch_size: int) -> tuple[TorchData, int]:
    """The image folder of ``--data-root`` (Stanford Cars layout) when there is one, else the digits;
    with the input side the model sees.
    """
    if has_image_folder(ctx.data_root):
        size = ctx.pick(full=224, quick=64, tiny=32)
        sizes = ctx.pick(full=(None, None), quick=(256, 128), tiny=(16, 8))
        folder = image_folder_data(
            ctx.data_root,
            image_size=size,
            batch_size=batch_size,
            n_train=sizes[0],
            n_test=sizes[1],
            seed=ctx.seed,
        )
        return folder, size
    # the digits are 8x8 scans; tiny mode trains on them at that size (the pipeline, not the numbers)
    size = ctx.pick(full=28, quick=28, tiny=8)
    n_train, n_test = ctx.pick(full=(None, None), quick=(96, 64), tiny=(8, 8))
    digits, _ = digit_loaders(ctx, size=size, n_train=n_train, n_test=n_test, batch_size=batch_size)
    return digits, size


@study(10)
def run(ctx: StudyContext) -> Report:
    report = Report("resnet50_optimizers", TITLE, ctx)
    device = torch_device()
    batch_size = ctx.pick(full=32, quick=16, tiny=8)
    epochs = ctx.pick(full=10, quick=3, tiny=1)
    lr = 1e-3
    data, size = _data(ctx, batch_size)
    small_input = size < 64

    seed_everything(ctx.seed)
    initial = torch_models.resnet50(
        data.num_classes, data.in_channels, small_input=small_input, zero_init_residual=True
    )
    if ctx.mode != "full":
        # a few dozen steps leave BatchNorm's running statistics (momentum 0.1) behind the weights, and the
        # test pass, which uses them, then predicts one class; a faster average follows the weights
        for module in initial.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = BN_MOMENTUM_SHORT_RUNS
    histories = {}
    for optimizer in OPTIMIZERS:
        model = copy.deepcopy(initial)
        histories[optimizer] = fit(
            model,
            data.train,
            data.test,
            optimizer=optimizer,
            lr=lr,
            epochs=epochs,
            seed=ctx.seed,
            device=device,
            progress=False,
        )

    final = {name: h.val_macro_f1[-1] for name, h in histories.items()}
    best = max(final, key=final.get)
    other = min(final, key=final.get)
    report.headline = (
        f"test macro-F1 after {epochs} epochs: Adamax {final['adamax']:.3f}, Adam {final['adam']:.3f}"
    )
    n_params = torch_models.count_parameters(initial)
    stem = "3x3 stem without max-pool" if small_input else "ImageNet stem"
    report.text(
        f"ResNet-50 ({n_params:,} parameters, {stem}, {size}x{size} inputs) trained twice from the same "
        "initial weights and the same batch order, "
        f"once with Adamax and once with Adam (lr {lr:g}), on {data.name}. "
        f"After {epochs} epochs {best} reaches a test macro-F1 of {final[best]:.3f} against "
        f"{final[other]:.3f} for {other} (test loss {histories[best].val_loss[-1]:.3f} vs "
        f"{histories[other].val_loss[-1]:.3f})."
    )
    if ctx.mode != "full":
        report.text(
            f"This is the {ctx.mode} run: ResNet-50 costs about a quarter of a second per image for forward "
            "and backward on a 2-core CPU, so only a few dozen images and a few epochs fit in the time box; "
            "the numbers show the pipeline and the early trend, not the optimizers' final quality. "
            f"BatchNorm's running averages use momentum {BN_MOMENTUM_SHORT_RUNS} instead of 0.1 in this "
            "mode, so that after so few steps they match the weights the test pass runs with. Run "
            "without --quick (with --data-root pointing at Stanford Cars' train/ and test/ class folders) "
            "for the real comparison."
        )
    rows = [
        [
            name,
            h.loss[-1],
            h.val_loss[-1],
            h.macro_f1[-1],
            h.val_macro_f1[-1],
            h.val_accuracy[-1],
            sum(h.epoch_time),
        ]
        for name, h in histories.items()
    ]
    report.table(
        [
            "optimizer",
            "train loss",
            "test loss",
            "train macro-F1",
            "test macro-F1",
            "test accuracy",
            "train time (s)",
        ],
        rows,
        caption=f"After {epochs} epochs (times on a shared machine: indicative only)",
    )
    loss_series = {}
    f1_series = {}
    for name, h in histories.items():
        loss_series[f"{name} train"] = h.loss
        loss_series[f"{name} test"] = h.val_loss
        f1_series[f"{name} train"] = h.macro_f1
        f1_series[f"{name} test"] = h.val_macro_f1
    report.figure(
        "loss.png", plots.curves(loss_series, "ResNet-50 cross-entropy loss", "loss"), "Loss per epoch"
    )
    report.figure(
        "macro_f1.png", plots.curves(f1_series, "ResNet-50 macro-F1", "macro-F1"), "Macro-F1 per epoch"
    )
    report.settings.update(
        {
            "data": data.name,
            "model": f"resnet50(num_classes={data.num_classes}, in_channels={data.in_channels}, "
            f"small_input={small_input}, zero_init_residual=True)",
            "optimizers": ", ".join(OPTIMIZERS),
            "learning rate": lr,
            "epochs": epochs,
            "batch size": batch_size,
            "BatchNorm momentum": 0.1 if ctx.mode == "full" else BN_MOMENTUM_SHORT_RUNS,
            "device": device,
        }
    )
    return report
