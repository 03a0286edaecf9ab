"""Study 11: a fully connected net, a CNN, a residual CNN and a regularized residual CNN on one task."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

import torch_models
from convkit import plot as ck_plot
from convkit.datasets.cifar10 import BATCHES_FOLDER, CIFAR10_ARCHIVE
from torch_models.train import confusion_matrix

from . import plots
from .architecture_models import ARCHITECTURES, DROPOUT, RESIDUAL_WIDTHS, WEIGHT_DECAY
from .context import StudyContext
from .data import load_study_data
from .published import compare_with_published
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
    train_seeds,
)
from .torch_data import torch_device
from .torch_measure import predictions

TITLE = "FC vs CNN vs residual CNN (+ regularization)"
LAB_ITEM = "Lab C, items 1-3: FC vs CNN vs residual CNN (+ regularization), confusion matrix, gradient norms"
OPTIMIZER = "adam"


def _has_cifar10(root: Path | None) -> bool:
    return root is not None and ((root / BATCHES_FOLDER).is_dir() or (root / CIFAR10_ARCHIVE).is_file())


def _lab_data(ctx: StudyContext):
    """CIFAR-10 (the lab's data) when asked for or found under ``--data-root``, else the default data."""
    if ctx.dataset is None and _has_cifar10(ctx.data_root):
        ctx = dataclasses.replace(ctx, dataset="cifar10")
    return load_study_data(ctx, size=28)


def _fit_note(residual: list[Run], regularized: list[Run]) -> str:
    """Where BatchNorm makes the regularized net fit its training images better, a wider gap is no sign
    of more overfitting: the sentence that says so (empty otherwise)."""
    train = [r.train_accuracy for r in residual], [r.train_accuracy for r in regularized]
    if not (clearly_apart(*train) and mean_std(train[1])[0] > mean_std(train[0])[0]):
        return ""
    return (
        f" The regularized net also fits its training images better ({pm(train[1])} vs {pm(train[0])} "
        "train accuracy): BatchNorm speeds up training more than dropout and weight decay hold it back, so "
        "its wider gap comes with a higher test accuracy, and the residual CNN without them is the one "
        "still short of fitting its training images."
    )


@study(11)
def run(ctx: StudyContext) -> Report:
    report = Report("architectures", TITLE, ctx)
    device = torch_device()
    # 8,000 + 2,000 training images keep the 16 trainings of the full run (2 learning rates for the
    # first seed, 2 more seeds, 4 models) within 10 minutes on 2 cores; the test set stays whole
    n_train, n_val, n_test = ctx.pick(
        full=(8_000, 2_000, None), quick=(2_000, 500, 2_000), tiny=(384, 128, None)
    )
    epochs = ctx.pick(full=8, quick=5, tiny=1)
    lrs = ctx.pick(full=(1e-3, 3e-3), quick=(1e-3,), tiny=(1e-3,))
    seeds = [ctx.seed + i for i in range(ctx.pick(full=3, quick=3, tiny=2))]
    batch_size = 64

    full = _lab_data(ctx)
    data = full.subset(n_train + n_val, n_test, seed=ctx.seed)
    report.uses(data)
    split = make_split(standardized(data), n_val, batch_size, seed=ctx.seed)
    side = split.side

    runs, lr_choice = {}, {}
    for arch in ARCHITECTURES:

        def build(arch=arch):
            return arch.build(split.num_classes, split.in_channels, side)

        runs[arch.name], lr_choice[arch.name] = train_seeds(
            build,
            split,
            seeds,
            lrs,
            epochs=epochs,
            optimizer=OPTIMIZER,
            weight_decay=arch.weight_decay,
            device=device,
        )
    test = {name: [r.test_accuracy for r in rs] for name, rs in runs.items()}
    gap = {name: [r.gap for r in rs] for name, rs in runs.items()}
    gain = {name: late_gain(rs) for name, rs in runs.items()}
    means = {name: mean_std(values)[0] for name, values in test.items()}
    ranked = sorted(means, key=means.get, reverse=True)
    best = ranked[0]

    report.headline = f"best: {best}, test accuracy {pm(test[best])} over {len(seeds)} seeds"
    if data.dataset != "CIFAR-10":
        report.text(
            f"Lab C runs this comparison on CIFAR-10. CIFAR-10 is not available here; run with `--dataset "
            f"cifar10 --data-root DIR`. This run uses {data.dataset} instead."
        )
    fc, cnn, residual, regularized = (a.name for a in ARCHITECTURES)
    order = []
    for higher, lower in zip(ranked, ranked[1:]):
        sign = ">" if clearly_apart(test[higher], test[lower]) else "≈"
        order.append(f"{higher} {sign} {lower}" if not order else f"{sign} {lower}")
    report.text(
        f"Four models trained with one budget: {OPTIMIZER.capitalize()} for {epochs} epochs, batch "
        f"{batch_size}, on {len(split.train):,} {data.dataset} training images ({side}x{side}, standardized "
        f"per channel; a random subset of the {len(full.x_train):,}, so that the "
        f"{len(ARCHITECTURES) * (len(lrs) + len(seeds) - 1)} trainings fit a CPU budget of minutes), "
        f"each from {len(seeds)} seeds (weights and batch order). The learning rate is chosen "
        f"per model from {', '.join(f'{lr:g}' for lr in lrs)} by the first seed's accuracy on "
        f"{len(split.val):,} held-out training images; the {len(split.test):,} test images are measured "
        "once per run. The models: a fully connected net on the flattened pixels (256-128-100 hidden "
        "units), a CNN of two conv3x3 + ReLU + max-pool stages (32, 64 channels) with a linear classifier, "
        f"a residual CNN of three two-conv blocks ({'-'.join(map(str, RESIDUAL_WIDTHS))} channels, global "
        f"average pooling), and that residual CNN with BatchNorm, dropout {DROPOUT:g} and weight decay "
        f"{WEIGHT_DECAY:g}. Ranking by mean test accuracy ('>' where the means differ by more than the sum "
        f"of their standard deviations, '≈' where they do not): {' '.join(order)}."
    )
    if clearly_apart(gap[residual], gap[regularized]):
        narrower = mean_std(gap[regularized])[0] < mean_std(gap[residual])[0]
        verdict = "narrow" if narrower else "widen"
    else:
        verdict = "do not change, beyond the spread over seeds,"
    report.text(
        f"Overfitting, as the gap between eval-mode train accuracy and test accuracy: {fc} {pm(gap[fc])}, "
        f"{cnn} {pm(gap[cnn])}, {residual} {pm(gap[residual])}, {regularized} {pm(gap[regularized])}. "
        f"BatchNorm, dropout and weight decay together {verdict} the residual CNN's gap; its test accuracy "
        f"goes from {pm(test[residual])} to {pm(test[regularized])}."
        + _fit_note(runs[residual], runs[regularized])
    )
    report.text(convergence_note(gain))
    report.table(
        [
            "model",
            "parameters",
            "learning rate",
            "test acc",
            "train acc",
            "train - test gap",
            "val gain, last 2 epochs",
            "test acc per seed",
        ],
        [
            [
                name,
                f"{torch_models.count_parameters(rs[0].model):,}",
                f"{rs[0].lr:g}",
                pm(test[name]),
                pm([r.train_accuracy for r in rs]),
                pm(gap[name]),
                f"{gain[name]:+.1%}",
                ", ".join(f"{a:.3f}" for a in test[name]),
            ]
            for name, rs in runs.items()
        ],
        caption=f"Mean ± standard deviation over seeds {seeds}; accuracies in eval mode after training",
    )
    lr_choice_table(report, lr_choice, lrs, epochs, seeds[0])
    compare_with_published(
        report,
        data,
        [(a.name, means[a.name], a.published) for a in ARCHITECTURES if a.published is not None],
    )
    test_accuracy_figure(
        report, test, len(seeds), f"Test accuracy of each model, mean ± std over {len(seeds)} seeds"
    )
    curves = {}
    for name, rs in runs.items():
        curves[f"{name} train"] = np.mean([r.history.accuracy for r in rs], axis=0).tolist()
        curves[f"{name} val"] = np.mean([r.history.val_accuracy for r in rs], axis=0).tolist()
    report.figure(
        "accuracy_curves.png",
        plots.curves(curves, "Accuracy per epoch (mean over seeds)", "accuracy"),
        "Training accuracy (measured while training, dropout on) and validation accuracy per epoch",
    )
    predicted, true = predictions(runs[best][0].model, split.loader("test"), device)
    cm = confusion_matrix(torch.as_tensor(predicted), torch.as_tensor(true), split.num_classes).numpy()
    report.figure(
        "confusion_matrix.png",
        plots.titled(
            ck_plot.confusion_matrix(cm, class_names=list(data.class_names)),
            f"{best} (seed {seeds[0]}): test confusion matrix",
        ),
        f"Confusion matrix of the best model ({best}, seed {seeds[0]}) on the test set: rows are the true "
        f"{data.item}, columns the predicted one",
    )
    report.figure(
        "grad_norms.png",
        plots.layer_profile(
            {name: rs[0].layer_norms() for name, rs in runs.items()},
            "Gradient norm per layer (first epoch, mean over steps)",
            "L2 norm of the layer's gradient",
        ),
        f"Gradient norm of each conv and linear layer (input side first; BatchNorm and 1x1 shortcut "
        f"projections left out), seed {seeds[0]}, first epoch",
    )
    report.settings.update(
        {
            "input size": f"{side}x{side}",
            "train / validation / test images": f"{len(split.train)} / {len(split.val)} / {len(split.test)}",
            "optimizer": OPTIMIZER,
            "learning rates tried": lrs,
            "epochs": epochs,
            "batch size": batch_size,
            "seeds": seeds,
            "weight decay (regularized model)": WEIGHT_DECAY,
            "device": device,
        }
    )
    return report
