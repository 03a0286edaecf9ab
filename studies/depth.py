"""Study 13: plain vs residual CNNs of growing depth; gradient norms per layer and gradient clipping."""

from __future__ import annotations

import numpy as np

import torch_models

from . import plots
from .context import StudyContext
from .data import load_study_data
from .depth_cnns import HEAD_GRID, MAX_POOLS, depth_study
from .registry import study
from .report import Report
from .seeded_runs import (
    Run,
    clearly_apart,
    convergence_note,
    late_gain,
    lr_choice_table,
    make_split,
    mean_std,
    pm,
    standardized,
    test_accuracy_figure,
    train_run,
    train_seeds,
)
from .torch_data import torch_device

TITLE = "Depth: plain vs residual CNNs of 2 to 16 conv layers, gradient norms and clipping"
LAB_ITEM = "Lab C, item 5: depth, gradient norms and clipping"
CLIP_NORM = 1.0
WIDTH = 16
OPTIMIZER = "adam"


def _ratio(runs: list[Run]) -> list[float]:
    """Per run: first conv layer's gradient norm over the classifier's, first epoch."""
    return [r.layer_norms()[0] / r.layer_norms()[-1] for r in runs]


@study(13)
def run(ctx: StudyContext) -> Report:
    report = Report("depth", TITLE, ctx)
    device = torch_device()
    # 6,000 + 2,000 training images keep the 35 trainings of the full run (2 learning rates for the
    # first seed, 2 more seeds, 8 models, and the clipped runs) within 10 minutes on 2 cores
    n_train, n_val, n_test = ctx.pick(
        full=(6_000, 2_000, None), quick=(2_000, 500, 2_000), tiny=(384, 128, None)
    )
    depths = ctx.pick(full=(2, 4, 8, 16), quick=(2, 4, 8), tiny=(2, 4))
    epochs = ctx.pick(full=8, quick=4, tiny=1)
    lrs = ctx.pick(full=(1e-3, 3e-3), quick=(1e-3,), tiny=(1e-3,))
    seeds = [ctx.seed + i for i in range(ctx.pick(full=3, quick=3, tiny=2))]
    batch_size = 64

    full = load_study_data(ctx, size=28)
    data = full.subset(n_train + n_val, n_test, seed=ctx.seed)
    report.uses(data)
    split = make_split(standardized(data), n_val, batch_size, seed=ctx.seed)
    side = split.side
    builders = depth_study(split.num_classes, split.in_channels, depths=depths, width=WIDTH)
    options = {"epochs": epochs, "optimizer": OPTIMIZER, "device": device}

    runs, lr_choice = {}, {}
    for name, build in builders.items():
        runs[name], lr_choice[name] = train_seeds(build, split, seeds, lrs, **options)
    top, bottom = max(depths), min(depths)
    plain, residual = f"plain_{top}", f"residual_{top}"
    clipped = [
        train_run(builders[plain], split, seed=r.seed, lr=r.lr, clip_grad_norm=CLIP_NORM, **options)
        for r in runs[plain]
    ]
    test = {name: [r.test_accuracy for r in rs] for name, rs in runs.items()}
    ratio = {name: _ratio(rs) for name, rs in runs.items()}

    report.headline = (
        f"{top} conv layers: residual {pm(test[residual])} vs plain {pm(test[plain])} test accuracy "
        f"({len(seeds)} seeds)"
    )
    comparisons = []
    for depth in depths:
        p, r = test[f"plain_{depth}"], test[f"residual_{depth}"]
        if not clearly_apart(p, r):
            verdict = "no difference beyond the spread"
        else:
            verdict = "residual ahead" if mean_std(r)[0] > mean_std(p)[0] else "plain ahead"
        comparisons.append(f"{depth} layers: plain {pm(p)}, residual {pm(r)} ({verdict})")
    report.text(
        f"CNNs of {', '.join(map(str, depths))} 3x3 conv layers ({WIDTH} channels, two convs per block, "
        f"2x2 max-pools after the first {MAX_POOLS} blocks, the last map average-pooled to {HEAD_GRID}x"
        f"{HEAD_GRID} before a linear classifier, He-initialized, no BatchNorm so that depth alone acts on "
        f"the gradients), each plain and with skip connections, trained with {OPTIMIZER.capitalize()} for "
        f"{epochs} epochs (batch {batch_size}) on {len(split.train):,} {data.dataset} training images "
        f"({side}x{side}, standardized; a random subset of the {len(full.x_train):,}, so that the "
        f"{len(builders) * (len(lrs) + len(seeds) - 1) + len(seeds)} trainings fit a CPU budget of minutes) "
        f"from {len(seeds)} seeds each. The learning rate is chosen per model "
        f"from {', '.join(f'{lr:g}' for lr in lrs)} by the first seed's accuracy on {len(split.val):,} "
        f"held-out training images; the {len(split.test):,} test images are measured once per run. "
        f"Test accuracy, mean ± std over seeds: {'; '.join(comparisons)}. A difference counts only where "
        "the means differ by more than the sum of the standard deviations."
    )
    shallow, deep = mean_std(ratio[f"plain_{bottom}"])[0], mean_std(ratio[plain])[0]
    if not clearly_apart(ratio[f"plain_{bottom}"], ratio[plain]):
        trend = f"is the same, within the spread, at {top} layers as at {bottom}"
    else:
        trend = f"is {'smaller' if deep < shallow else 'larger'} at {top} layers than at {bottom}"
    report.text(
        "Gradient norms per layer (mean over the first epoch's steps): in the plain nets the gradient "
        f"reaching the first conv layer, relative to the classifier's, {trend} (ratio "
        f"{pm(ratio[f'plain_{bottom}'], percent=False)} at {bottom} layers, {pm(ratio[plain], percent=False)}"
        f" at {top}; the table lists every depth); with skips it is {pm(ratio[residual], percent=False)} "
        f"at {top} layers. "
        f"{OPTIMIZER.capitalize()} divides every step by a running average of the gradient's size per "
        "weight, so a small gradient in the early layers slows them much less than it would under plain "
        "SGD."
    )
    clipped_test = [r.test_accuracy for r in clipped]
    if clearly_apart(test[plain], clipped_test):
        clip_verdict = "changes it beyond the spread over seeds"
    else:
        clip_verdict = "leaves it within the spread over seeds"
    report.text(
        f"Clipping the global gradient norm to {CLIP_NORM:g} (`torch.nn.utils.clip_grad_norm_`, same "
        f"initial weights, batches and learning rate) on the deepest plain net {clip_verdict}: test "
        f"accuracy {pm(test[plain])} without, {pm(clipped_test)} with. Rescaling the whole gradient "
        f"shortens {OPTIMIZER.capitalize()}'s steps only through its running averages, so clipping matters "
        "mainly for optimizers whose step is proportional to the gradient, and for rare gradient spikes."
    )
    gains = {name: late_gain(rs) for name, rs in runs.items()}
    report.text(convergence_note(gains))
    report.table(
        [
            "conv layers",
            "kind",
            "parameters",
            "learning rate",
            "test acc",
            "final train loss",
            "val gain, last 2 epochs",
            "grad norm, first conv",
            "grad norm, classifier",
            "ratio",
        ],
        [
            [
                name.split("_")[1],
                name.split("_")[0],
                f"{torch_models.count_parameters(rs[0].model):,}",
                f"{rs[0].lr:g}",
                pm(test[name]),
                pm([r.history.loss[-1] for r in rs], percent=False),
                f"{gains[name]:+.1%}",
                pm([r.layer_norms()[0] for r in rs], percent=False),
                pm([r.layer_norms()[-1] for r in rs], percent=False),
                pm(ratio[name], percent=False),
            ]
            for name, rs in runs.items()
        ],
        caption=f"Mean ± standard deviation over seeds {seeds}; gradient norms: mean over the first epoch",
    )
    lr_choice_table(report, lr_choice, lrs, epochs, seeds[0])
    report.table(
        ["model", "test acc", "final train loss", "largest layer grad norm (any epoch, seed mean)"],
        [
            [
                label,
                pm([r.test_accuracy for r in rs]),
                pm([r.history.loss[-1] for r in rs], percent=False),
                pm([max(max(e.values()) for e in r.history.grad_norms) for r in rs], percent=False),
            ]
            for label, rs in ((plain, runs[plain]), (f"{plain}, clipped at {CLIP_NORM:g}", clipped))
        ],
        caption=f"Gradient clipping on the deepest plain net, seeds {seeds} (norms measured before clipping)",
    )
    test_accuracy_figure(
        report, test, len(seeds), f"Test accuracy of each depth and kind, mean ± std over {len(seeds)} seeds"
    )
    report.figure(
        "grad_norms.png",
        plots.layer_profile(
            {name: rs[0].layer_norms() for name, rs in runs.items()},
            f"Gradient norm per layer (first epoch, seed {seeds[0]})",
            "L2 norm of the layer's gradient",
        ),
        "Gradient norm of each 3x3 conv and the classifier, input side first: vanishing shows as a line "
        "falling towards the input",
    )
    report.figure(
        "val_accuracy.png",
        plots.curves(
            {
                f"{n} val": np.mean([r.history.val_accuracy for r in rs], axis=0).tolist()
                for n, rs in runs.items()
            },
            "Validation accuracy per epoch (mean over seeds)",
            "accuracy",
        ),
        "Validation accuracy per epoch, averaged over seeds",
    )
    report.figure(
        "clipping.png",
        plots.curves(
            {
                f"{plain} train": np.mean([r.history.loss for r in runs[plain]], axis=0).tolist(),
                f"{plain} clipped train": np.mean([r.history.loss for r in clipped], axis=0).tolist(),
            },
            "Training loss with and without clipping (mean over seeds)",
            "loss",
        ),
        f"Training loss of {plain} with and without clip_grad_norm_({CLIP_NORM:g})",
    )
    report.settings.update(
        {
            "input size": f"{side}x{side}",
            "train / validation / test images": f"{len(split.train)} / {len(split.val)} / {len(split.test)}",
            "depths": depths,
            "width": WIDTH,
            "batch norm": False,
            "optimizer": OPTIMIZER,
            "learning rates tried": lrs,
            "epochs": epochs,
            "batch size": batch_size,
            "seeds": seeds,
            "clip norm": CLIP_NORM,
            "device": device,
        }
    )
    return report
