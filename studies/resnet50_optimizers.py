"""Study 10: ResNet-50 trained with Adamax and with Adam, over several seeds; for each seed both start
from the same initial weights and see the same batches."""

from __future__ import annotations

import copy
import statistics

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import torch_models
from torch_models.train import fit, make_optimizer, seed_everything

from . import plots
from .context import StudyContext
from .data import StudyData, load_study_data
from .published import compare_with_published
from .registry import study
from .report import Report
from .timing import MIN_WINDOW_S, time_interleaved
from .torch_data import study_loaders, torch_device

TITLE = "ResNet-50: Adamax vs Adam"
LAB_ITEM = "Lab B, item 4: ResNet-50, Adamax vs Adam"
OPTIMIZERS = {"adamax": "Adamax", "adam": "Adam"}
LR = 1e-3
BN_MOMENTUM_SHORT_RUNS = 0.5  # tiny mode


def _data(ctx: StudyContext) -> StudyData:
    """``--dataset imagefolder`` (e.g. Stanford Cars, studies/stanford_cars.md) whole at 112 px in full
    mode; any other data set as a fixed subset at 32x32 (Fashion-MNIST upsampled from 28)."""
    if ctx.dataset == "imagefolder":
        size = ctx.pick(full=112, quick=64, tiny=16)
        sizes = ctx.pick(full=(None, None), quick=(400, 200), tiny=(32, 16))
    else:
        size = ctx.pick(full=32, quick=32, tiny=16)
        sizes = ctx.pick(full=(2000, 1000), quick=(400, 200), tiny=(32, 16))
    return load_study_data(ctx, size=size).subset(*sizes, seed=ctx.seed)


def _mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def _verdict(name_a: str, a: list[float], name_b: str, b: list[float], metric: str) -> str:
    """ "a tie" when the gap of the means is within the sum of the standard deviations, else who leads."""
    (mean_a, std_a), (mean_b, std_b) = _mean_std(a), _mean_std(b)
    gap = mean_a - mean_b
    if abs(gap) <= std_a + std_b:
        return f"a tie on {metric} (gap {abs(gap):.3f} within the spread {std_a + std_b:.3f})"
    leader, other = (name_a, name_b) if gap > 0 else (name_b, name_a)
    return f"{leader} ahead of {other} on {metric} by {abs(gap):.3f} (spread {std_a + std_b:.3f})"


def _step(model: nn.Module, optimizer: str, x: torch.Tensor, y: torch.Tensor):
    """One training step of ``model`` (a copy, changed by the calls) on the batch ``(x, y)``."""
    opt = make_optimizer(optimizer, model, LR)
    model.train()

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


@study(10)
def run(ctx: StudyContext) -> Report:
    report = Report("resnet50_optimizers", TITLE, ctx)
    device = torch_device()
    batch_size = ctx.pick(full=64, quick=64, tiny=16)
    epochs = ctx.pick(full=5, quick=2, tiny=1)
    seeds = [ctx.seed + i for i in range(ctx.pick(full=3, quick=3, tiny=2))]
    data = _data(ctx)
    report.uses(data)
    channels, size = data.input_shape[0], data.input_shape[-1]

    histories: dict[str, list] = {name: [] for name in OPTIMIZERS}
    for seed in seeds:
        seed_everything(seed)
        initial = torch_models.resnet50(
            data.num_classes, channels, small_input=False, zero_init_residual=True
        )
        if ctx.mode == "tiny":  # a few steps leave BatchNorm's running averages (momentum 0.1) behind
            for module in initial.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.momentum = BN_MOMENTUM_SHORT_RUNS
        for name in OPTIMIZERS:
            loaders = study_loaders(data, batch_size, seed)  # a fresh generator: the same batches
            histories[name].append(
                fit(
                    copy.deepcopy(initial),
                    loaders.train,
                    loaders.test,
                    optimizer=name,
                    lr=LR,
                    epochs=epochs,
                    seed=seed,
                    device=device,
                    progress=False,
                )
            )

    accuracy = {name: [h.val_accuracy[-1] for h in runs] for name, runs in histories.items()}
    macro_f1 = {name: [h.val_macro_f1[-1] for h in runs] for name, runs in histories.items()}
    train_accuracy = {name: [h.accuracy[-1] for h in runs] for name, runs in histories.items()}

    x, y = (torch.tensor(a[:batch_size]).to(device) for a in (data.x_train, data.y_train))
    window = ctx.pick(full=MIN_WINDOW_S, quick=MIN_WINDOW_S, tiny=0.05)
    timings = time_interleaved(
        {OPTIMIZERS[name]: _step(copy.deepcopy(initial).to(device), name, x, y) for name in OPTIMIZERS},
        min_window_s=window,
    )

    def summary(values: list[float]) -> str:
        mean, std = _mean_std(values)
        return f"{mean:.3f} ± {std:.3f}"

    acc_verdict = _verdict("Adamax", accuracy["adamax"], "Adam", accuracy["adam"], "test accuracy")
    f1_verdict = _verdict("Adamax", macro_f1["adamax"], "Adam", macro_f1["adam"], "macro-F1")
    report.headline = (
        f"test accuracy after {epochs} epochs, {len(seeds)} seeds: Adamax {summary(accuracy['adamax'])}, "
        f"Adam {summary(accuracy['adam'])}: {acc_verdict.partition(' (')[0]}"
    )
    n_params = torch_models.count_parameters(initial)
    wins = sum(a > b for a, b in zip(accuracy["adamax"], accuracy["adam"]))
    report.text(
        f"ResNet-50 ({n_params:,} parameters, ImageNet stem: 7x7 stride 2 and max-pool, {size}x{size} "
        f"inputs with {channels} channel{'s' if channels > 1 else ''}) trained with Adamax and with Adam "
        f"(lr {LR:g}, batches of {batch_size}, {epochs} epochs) on {data.name}. For each of the "
        f"{len(seeds)} seeds "
        f"({', '.join(map(str, seeds))}) both optimizers start from the same initial weights and see the "
        "same batches in the same order, so the seeds differ in initialization and order only. "
        f"Test accuracy: Adamax {summary(accuracy['adamax'])}, Adam {summary(accuracy['adam'])} "
        f"(mean ± sample standard deviation over the seeds); macro-F1: Adamax {summary(macro_f1['adamax'])}, "
        f"Adam {summary(macro_f1['adam'])}. That is {acc_verdict}, and {f1_verdict}; a gap counts as a tie "
        f"when it is within the sum of the two standard deviations. Seed by seed Adamax has the higher test "
        f"accuracy {wins} of {len(seeds)} times. Training accuracy after the last epoch: Adamax "
        f"{summary(train_accuracy['adamax'])}, Adam {summary(train_accuracy['adam'])}."
    )
    if data.is_fashion_mnist:
        report.text(
            f"Fashion-MNIST's 28x28 images are resized to {size}x{size} and kept as one channel (the model "
            f"takes any channel count); the ImageNet stem shrinks them to {size // 4}x{size // 4} before the "
            "first block (a 3x3 stride-1 stem without max-pool would cost about five times as much per "
            f"image). The subset ({len(data.x_train):,} training images) and the {epochs} epochs are what "
            f"fit the CPU time box for {2 * len(seeds)} trainings, the same budget for both optimizers; "
            "ResNet-50 on so few images is far from its capacity, so the figures compare the two optimizers "
            "under that budget, not ResNet-50's best. The published row below is ResNet18 trained on all "
            f"60,000 images with augmentation: a different, smaller model and {60000 // len(data.x_train)} "
            "times the data, shown for scale only."
        )
    if ctx.mode == "tiny":
        report.text(
            f"Tiny mode (the test suite): a handful of steps; BatchNorm's running averages use momentum "
            f"{BN_MOMENTUM_SHORT_RUNS} so that the test pass sees statistics that match the weights. The "
            "numbers mean nothing."
        )
    report.table(
        ["optimizer", "seed", "train loss", "train accuracy", "test loss", "test accuracy", "test macro-F1"],
        [
            [
                OPTIMIZERS[name],
                seed,
                h.loss[-1],
                h.accuracy[-1],
                h.val_loss[-1],
                h.val_accuracy[-1],
                h.val_macro_f1[-1],
            ]
            for name, runs in histories.items()
            for seed, h in zip(seeds, runs)
        ],
        caption=f"After {epochs} epochs, each seed",
    )
    report.table(
        ["optimizer", "test accuracy", "test macro-F1"],
        [[OPTIMIZERS[name], summary(accuracy[name]), summary(macro_f1[name])] for name in OPTIMIZERS],
        caption=f"Mean ± standard deviation over {len(seeds)} seeds",
    )
    report.table(
        ["optimizer", "ms per training image", "conditions"],
        [[name, 1e3 * t.seconds / batch_size, t.conditions()] for name, t in timings.items()],
        caption=f"One training step (forward, backward, update) on a batch of {batch_size}, per image, "
        f"on {device}",
    )
    compare_with_published(
        report,
        data,
        [(f"ResNet-50, {OPTIMIZERS[name]}", _mean_std(accuracy[name])[0], "ResNet18") for name in OPTIMIZERS],
    )
    report.figure(
        "accuracy.png",
        plots.bar_with_errors(
            list(OPTIMIZERS.values()),
            [_mean_std(accuracy[name])[0] for name in OPTIMIZERS],
            [_mean_std(accuracy[name])[1] for name in OPTIMIZERS],
            f"ResNet-50 test accuracy, {len(seeds)} seeds",
            "test accuracy",
        ),
        "Test accuracy after the last epoch, mean ± standard deviation over the seeds.",
    )
    curves = {}
    for name, runs in histories.items():
        curves[f"{OPTIMIZERS[name]} train"] = np.mean([h.loss for h in runs], axis=0)
        curves[f"{OPTIMIZERS[name]} test"] = np.mean([h.val_loss for h in runs], axis=0)
    report.figure(
        "loss.png",
        plots.curves(curves, "ResNet-50 cross-entropy, mean over seeds", "loss"),
        "Training loss (measured while training) and test loss after each epoch, averaged over the seeds.",
    )
    report.settings.update(
        {
            "model": f"resnet50(num_classes={data.num_classes}, in_channels={channels}, "
            "small_input=False, zero_init_residual=True)",
            "optimizers": f"Adamax and Adam, lr {LR:g}, torch defaults otherwise",
            "epochs": epochs,
            "batch size": batch_size,
            "seeds": ", ".join(map(str, seeds)),
            "BatchNorm momentum": BN_MOMENTUM_SHORT_RUNS if ctx.mode == "tiny" else 0.1,
            "device": device,
        }
    )
    return report
