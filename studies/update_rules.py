"""Study 3: the six-layer net of study 2 trained with RMSprop, Adam and Adamax against SGD + momentum."""

from __future__ import annotations

from convkit import optimizers

from . import plots
from .context import StudyContext
from .data import load_study_data
from .registry import study
from .report import Report
from .seed_stats import Spread, ranking
from .six_layer_net import (
    HIDDEN_DIMS,
    WEIGHT_SCALE,
    add_accuracy_figure,
    add_loss_figure,
    final,
    mean_curve,
    train_over_seeds,
)

TITLE = "Update rules: RMSprop, Adam, Adamax vs SGD + momentum"
LAB_ITEM = "Lab A, item 3: update rules"
RULES = {  # name -> (optimizer class, settings): the lab's learning rates, Adamax at its usual default
    "SGD + momentum": (optimizers.SGD, {"lr": 1e-2, "momentum": 0.9}),
    "RMSprop": (optimizers.RMSprop, {"lr": 1e-4}),
    "Adam": (optimizers.Adam, {"lr": 1e-3}),
    "Adamax": (optimizers.Adamax, {"lr": 2e-3}),
}


def keywords(kwargs: dict) -> str:
    """``{"lr": 0.001}`` as ``lr=0.001``."""
    return ", ".join(f"{key}={value}" for key, value in kwargs.items())


@study(3)
def run(ctx: StudyContext) -> Report:
    report = Report("update_rules", TITLE, ctx)
    data = load_study_data(ctx).subset(ctx.pick(None, 10000, 300), ctx.pick(None, 2000, 100), ctx.seed)
    report.uses(data)  # the images as loaded (1x28x28); the nets see them flattened
    data = data.flattened()
    split = data.split_validation(0.2, ctx.seed)
    epochs, batch_size = ctx.pick(10, 6, 1), 100
    seeds = [ctx.seed + i for i in range(ctx.pick(3, 3, 2))]
    report.settings.update(
        split=f"{len(split[0]):,} train / {len(split[2]):,} validation (held out of the training split) / "
        f"{len(data.x_test):,} test (used once, after training)",
        model=f"fully_connected_net(hidden_dims={HIDDEN_DIMS}, weight_scale={WEIGHT_SCALE})",
        optimizers="; ".join(f"{name}({keywords(kwargs)})" for name, (_, kwargs) in RULES.items()),
        epochs=epochs,
        batch_size=batch_size,
        seeds=seeds,
    )
    rules = {
        name: (lambda rule=rule, kwargs=kwargs: rule(**kwargs)) for name, (rule, kwargs) in RULES.items()
    }
    results = train_over_seeds(rules, split, data.num_classes, epochs, batch_size, seeds)

    loss = {name: final(runs, "loss") for name, runs in results.items()}
    val = {name: final(runs, "val_accuracy") for name, runs in results.items()}
    test = {
        name: Spread.of(
            run.model.evaluate(data.x_test, data.y_test, batch_size=500, verbose=0)["accuracy"]
            for run in runs
        )
        for name, runs in results.items()
    }
    best = max(val, key=lambda name: val[name].mean)
    report.headline = f"val accuracy over {len(seeds)} seeds: {ranking(val, lambda s: s.percent())}"
    report.text(
        "The lab implements RMSprop and Adam and compares them with SGD + momentum on the six-layer net of "
        "the previous item, at the learning rates it suggests (RMSprop 1e-4, Adam 1e-3); Adamax (2e-3, its "
        f"usual default) is added. Here the net learns from {len(split[0]):,} {data.dataset} training "
        f"images, with {len(split[2]):,} held out of the training split for validation, {epochs} epochs per "
        f"run and {len(seeds)} seeds per rule (seed s gives every rule the same initial weights and "
        f"batches). Validation accuracy after {epochs} epochs, mean ± std over seeds, best first: "
        f"{ranking(val, lambda s: s.percent())}. Final training loss, lowest first: "
        f"{ranking(loss, lambda s: s.plain(), higher_is_better=False)} (a difference within the spread, "
        "the two standard deviations added, is a tie). On the test split, evaluated once per trained net, "
        f"{best} scores {test[best].percent()}. The ranking is that of these learning rates: each rule would "
        "need its own learning-rate search for a verdict on the rules themselves."
    )
    order = sorted(val, key=lambda name: val[name].mean, reverse=True)
    report.table(
        ["update rule", "settings", "final train loss", "final train accuracy", "final val accuracy", "test"],
        [
            [
                name,
                keywords(RULES[name][1]),
                loss[name].plain(),
                final(results[name], "accuracy").percent(),
                val[name].percent(),
                test[name].percent(),
            ]
            for name in order
        ],
        caption=f"After {epochs} epochs, mean ± std over {len(seeds)} seeds, best validation accuracy first "
        "(train accuracy: the running mean over the last epoch's batches)",
    )
    add_loss_figure(report, results, epochs)
    add_accuracy_figure(report, results)
    report.figure(
        "val_accuracy.png",
        plots.curves(
            {f"{name} val": mean_curve(runs, "val_accuracy") for name, runs in results.items()},
            f"Validation accuracy (mean of {len(seeds)} seeds)",
            "accuracy",
        ),
        "Validation accuracy per epoch alone, mean over the seeds, to tell the rules apart.",
    )
    return report
