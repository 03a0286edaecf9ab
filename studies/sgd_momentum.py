"""Study 2: a six-layer fully connected net trained with plain SGD and with SGD + momentum, over seeds."""

from __future__ import annotations

from convkit import optimizers

from .context import StudyContext
from .data import load_study_data
from .registry import study
from .report import Report
from .seed_stats import ranking, tied
from .six_layer_net import (
    HIDDEN_DIMS,
    WEIGHT_SCALE,
    add_accuracy_figure,
    add_loss_figure,
    final,
    train_over_seeds,
)

TITLE = "Six-layer net: SGD vs SGD + momentum"
LAB_ITEM = "Lab A, item 2: SGD vs SGD + momentum"
LR = 1e-2


@study(2)
def run(ctx: StudyContext) -> Report:
    report = Report("sgd_momentum", TITLE, ctx)
    # the lab's small training set: 4,000 training and 1,000 validation images, in every mode but tiny
    data = load_study_data(ctx).subset(ctx.pick(5000, 5000, 200), None, ctx.seed)
    report.uses(data)  # the images as loaded (1x28x28); the nets see them flattened
    data = data.flattened()
    split = data.split_validation(0.2, ctx.seed)
    epochs, batch_size = ctx.pick(10, 10, 1), 100
    seeds = [ctx.seed + i for i in range(ctx.pick(5, 3, 2))]
    rules = {
        "SGD": lambda: optimizers.SGD(lr=LR),
        "SGD + momentum": lambda: optimizers.SGD(lr=LR, momentum=0.9),
    }
    report.settings.update(
        data=f"{data.name}; the test split is not used",
        split=f"{len(split[0])} train / {len(split[2])} validation images, both from the training split "
        "(the lab's small training set)",
        model=f"fully_connected_net(hidden_dims={HIDDEN_DIMS}, weight_scale={WEIGHT_SCALE})",
        optimizers=f"SGD(lr={LR}), SGD(lr={LR}, momentum=0.9)",
        epochs=epochs,
        batch_size=batch_size,
        seeds=seeds,
    )
    results = train_over_seeds(rules, split, data.num_classes, epochs, batch_size, seeds)

    loss = {name: final(runs, "loss") for name, runs in results.items()}
    val = {name: final(runs, "val_accuracy") for name, runs in results.items()}
    plain, momentum = "SGD", "SGD + momentum"
    report.headline = (
        f"val accuracy SGD {val[plain].percent()} vs SGD + momentum {val[momentum].percent()} "
        f"({len(seeds)} seeds, {epochs} epochs)"
    )
    if tied(loss[plain], loss[momentum]):
        verdict = "the two training losses are within each other's spread: a tie, momentum is not faster here"
    elif loss[momentum].mean < loss[plain].mean:
        verdict = "momentum converges faster, as the lab expects"
    else:
        verdict = "plain SGD converges faster, against the lab's expectation"
    report.text(
        "The lab trains a six-layer net (five hidden layers of 100) on a small training set, once with plain "
        "SGD and once with SGD + momentum at the same learning rate, and expects momentum to converge "
        f"faster. Here the set is {len(split[0]):,} {data.dataset} images with {len(split[2]):,} more held "
        f"out of the training split for validation, and each rule is trained from {len(seeds)} seeds (seed s "
        f"gives both rules the same initial weights and the same batches). After {epochs} epochs the final "
        f"training loss is {loss[momentum].plain()} with momentum against {loss[plain].plain()} without "
        f"(mean ± std over seeds): {verdict}. Validation accuracy: {ranking(val, lambda s: s.percent())} "
        "(a difference within the spread, the two standard deviations added, is a tie)."
    )
    report.text(
        f"The weight scale is {WEIGHT_SCALE}, not the lab's 5e-2: that value is sized for CIFAR-10 as "
        "CS231n feeds it (mean-subtracted 0-255 pixels); on pixels in [0, 1] the signal vanishes through "
        "five layers drawn with it and neither rule leaves the initial loss of ln 10 within 10 epochs."
    )
    report.table(
        ["update rule", "final train loss", "final train accuracy", "final val accuracy"],
        [
            [name, loss[name].plain(), final(runs, "accuracy").percent(), val[name].percent()]
            for name, runs in results.items()
        ],
        caption=f"After {epochs} epochs, mean ± std over {len(seeds)} seeds (train accuracy: the running "
        "mean over the last epoch's batches)",
    )
    add_loss_figure(report, results, epochs)
    add_accuracy_figure(report, results)
    return report
