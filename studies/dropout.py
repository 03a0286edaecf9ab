"""Study 6: dropout in two-layer nets trained on 500 images: the lab's keep probability 0.25, a drop
probability of 0.25, and none."""

from __future__ import annotations

import numpy as np

from convkit import models, optimizers

from . import plots
from .context import StudyContext
from .data import load_study_data
from .inference_accuracy import fit_measuring_train_accuracy
from .registry import study
from .report import Report
from .seed_stats import Spread, ranking, tied

TITLE = "Dropout: keep 0.25 / drop 0.25 vs none, two-layer nets on 500 images"
LAB_ITEM = "Lab A, item 6: dropout"
HIDDEN_DIM = 500
# name -> convkit's Dropout rate, the probability of DROPPING a unit. The lab's "dropout 0.25" is CS231n's
# keep probability p (a unit is kept with probability p), i.e. a drop probability of 0.75.
CONFIGS = {"no dropout": 0.0, "keep 0.25 (drop 0.75)": 0.75, "drop 0.25 (keep 0.75)": 0.25}
LR, EPOCHS, BATCH_SIZE = 5e-4, 25, 100


def train(rate: float, split: tuple[np.ndarray, ...], num_classes: int, epochs: int, seed: int):
    """A fresh two-layer net with dropout ``rate`` fitted on ``split``; returns (model, history), the
    history holding ``inference_accuracy``: the training set measured with dropout off, every epoch."""
    model = models.fully_connected_net(
        [HIDDEN_DIM], num_classes=num_classes, input_dim=split[0].shape[1], dropout=rate
    )
    model.compile(optimizers.Adam(lr=LR), loss="cross_entropy", metrics=["accuracy"])
    return model, fit_measuring_train_accuracy(model, split, BATCH_SIZE, epochs, seed)


def where_the_gap_goes(name: str, val: Spread, val_without: Spread, epochs: int) -> str:
    """Whether ``name``'s validation accuracy rose with its dropout, or only its training accuracy fell."""
    if tied(val, val_without):
        return (
            f"With {name}, validation accuracy ties the net without dropout: any narrower gap is lower "
            "training accuracy."
        )
    if val.mean < val_without.mean:
        return (
            f"With {name}, validation accuracy is lower than without dropout after {epochs} epochs: the gap "
            "narrows because training accuracy falls further, not because the net generalizes better."
        )
    return f"With {name}, validation accuracy is higher than without dropout: it generalizes better."


@study(6)
def run(ctx: StudyContext) -> Report:
    report = Report("dropout", TITLE, ctx)
    # the lab's sizes in every mode but tiny: 500 training images (to overfit), 1,000 for validation
    data = load_study_data(ctx).subset(ctx.pick(1500, 1500, 150), None, ctx.seed)
    report.uses(data)  # the images as loaded (1x28x28); the nets see them flattened
    data = data.flattened()
    split = data.split_validation(2 / 3, ctx.seed)
    epochs = ctx.pick(EPOCHS, EPOCHS, 2)
    seeds = [ctx.seed + i for i in range(ctx.pick(5, 3, 2))]
    report.settings.update(
        split=f"{len(split[0])} train / {len(split[2])} validation images, both from the training split; "
        f"{len(data.x_test):,} test images evaluated once, after training",
        model=f"fully_connected_net(hidden_dims=[{HIDDEN_DIM}], dropout=rate) with convkit's rate = the drop "
        f"probability: {', '.join(f'{name}: rate {rate}' for name, rate in CONFIGS.items())}",
        optimizer=f"Adam(lr={LR})",
        epochs=epochs,
        batch_size=BATCH_SIZE,
        seeds=seeds,
    )
    runs = {
        name: [train(rate, split, data.num_classes, epochs, seed) for seed in seeds]
        for name, rate in CONFIGS.items()
    }

    def spread(name: str, value) -> Spread:
        return Spread.of(value(model, history) for model, history in runs[name])

    train_acc = {name: spread(name, lambda m, h: h["inference_accuracy"][-1]) for name in CONFIGS}
    val_acc = {name: spread(name, lambda m, h: h["val_accuracy"][-1]) for name in CONFIGS}
    gap = {
        name: spread(name, lambda m, h: h["inference_accuracy"][-1] - h["val_accuracy"][-1])
        for name in CONFIGS
    }
    running = {name: spread(name, lambda m, h: h["accuracy"][-1]) for name in CONFIGS}
    test_acc = {
        name: spread(
            name, lambda m, h: m.evaluate(data.x_test, data.y_test, batch_size=500, verbose=0)["accuracy"]
        )
        for name in CONFIGS
    }
    none, keep, drop = CONFIGS
    report.headline = (
        f"train - val gap {', '.join(f'{name} {gap[name].points()}' for name in CONFIGS)} "
        f"({len(seeds)} seeds)"
    )

    def versus(name: str) -> str:
        if tied(gap[name], gap[none]):
            return f"{name} leaves it where it is ({gap[name].points()}: a tie within the spread)"
        change = "narrows" if gap[name].mean < gap[none].mean else "widens"
        return f"{name} {change} it to {gap[name].points()}"

    report.text(
        "Two conventions name the same thing differently. CS231n's dropout parameter p is the probability "
        "of KEEPING a unit; torch's, Keras' and convkit's `Dropout(rate)` is the probability of DROPPING it. "
        "The lab's \"dropout 0.25\" is CS231n's p = 0.25: each hidden unit is kept with probability 0.25 and "
        "dropped with probability 0.75 (convkit rate 0.75). This study runs that, the other reading (drop "
        "0.25, keep 0.75: rate 0.25) and no dropout."
    )
    report.text(
        f"As in the lab, two-layer nets ({HIDDEN_DIM} hidden units) are trained on only {len(split[0])} "
        f"{data.dataset} images for {epochs} epochs, so that they overfit, and validated on "
        f"{len(split[2]):,} "
        "other images of the training split. Dropout is expected to act as a regularizer: lower training "
        "accuracy and a smaller gap to validation accuracy. Training accuracy is measured after each epoch "
        "on all training images with dropout off (inference mode), as the validation accuracy is; the "
        "running accuracy that `fit` logs is taken with dropout on and is shown apart. Over "
        f"{len(seeds)} seeds (mean ± std), without dropout the nets reach {train_acc[none].percent()} on "
        f"their training images and {val_acc[none].percent()} on validation, a gap of {gap[none].points()}; "
        f"{versus(keep)}; {versus(drop)}. Validation accuracy, best first: "
        f"{ranking(val_acc, lambda s: s.percent())} (a difference within the spread, the two standard "
        "deviations added, is a tie). "
        + " ".join(where_the_gap_goes(name, val_acc[name], val_acc[none], epochs) for name in (keep, drop))
    )
    report.table(
        [
            "dropout",
            "convkit rate",
            "train accuracy (dropout off)",
            "val accuracy",
            "train - val",
            "test accuracy",
            "running train accuracy (dropout on)",
        ],
        [
            [
                name,
                CONFIGS[name],
                train_acc[name].percent(),
                val_acc[name].percent(),
                gap[name].points(),
                test_acc[name].percent(),
                running[name].percent(),
            ]
            for name in CONFIGS
        ],
        caption=f"After {epochs} epochs, mean ± std over {len(seeds)} seeds",
    )
    series = {}
    for name in CONFIGS:
        series[f"{name} train"] = list(np.mean([h["inference_accuracy"] for _, h in runs[name]], axis=0))
        series[f"{name} val"] = list(np.mean([h["val_accuracy"] for _, h in runs[name]], axis=0))
    report.figure(
        "accuracy.png",
        plots.curves(
            series, f"Train (dropout off) vs validation accuracy, mean of {len(seeds)} seeds", "accuracy"
        ),
        "Training accuracy (solid, measured with dropout off) and validation accuracy (dashed) per epoch.",
    )
    report.figure(
        "gap.png",
        plots.bar_with_errors(
            list(CONFIGS),
            [100 * gap[name].mean for name in CONFIGS],
            [100 * gap[name].std for name in CONFIGS],
            f"Train - validation accuracy after {epochs} epochs",
            "gap (percentage points)",
        ),
        f"The train-validation gap, mean ± std over {len(seeds)} seeds.",
    )
    return report
