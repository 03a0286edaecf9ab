"""Study 3: the six-layer net of study 2 trained with RMSprop, Adam and Adamax against SGD + momentum."""

from __future__ import annotations

from convkit import optimizers

from . import plots
from .context import StudyContext
from .registry import study
from .report import Report
from .sgd_momentum import (
    HIDDEN_DIMS,
    WEIGHT_SCALE,
    add_loss_figure,
    load_small_training_set,
    train_six_layer_net,
)

TITLE = "Update rules: RMSprop, Adam, Adamax vs SGD + momentum"


def keywords(kwargs: dict) -> str:
    """``{"lr": 0.001}`` as ``lr=0.001``."""
    return ", ".join(f"{key}={value}" for key, value in kwargs.items())


@study(3)
def run(ctx: StudyContext) -> Report:
    report = Report("update_rules", TITLE, ctx)
    data = load_small_training_set(ctx)
    epochs, batch_size = ctx.pick(10, 10, 1), 100
    rules = {
        "SGD + momentum": (optimizers.SGD, {"lr": 1e-2, "momentum": 0.9}),
        "RMSprop": (optimizers.RMSprop, {"lr": 1e-4}),
        "Adam": (optimizers.Adam, {"lr": 1e-3}),
        "Adamax": (optimizers.Adamax, {"lr": 2e-3}),
    }
    report.settings.update(
        data=f"{data.name} (the training split only: 80% train, 20% validation)",
        model=f"fully_connected_net(hidden_dims={HIDDEN_DIMS}, weight_scale={WEIGHT_SCALE})",
        optimizers="; ".join(f"{name}({keywords(kwargs)})" for name, (_, kwargs) in rules.items()),
        epochs=epochs,
        batch_size=batch_size,
    )
    results = {
        name: train_six_layer_net(data, rule(**kwargs), epochs, batch_size, ctx.seed)
        for name, (rule, kwargs) in rules.items()
    }

    ranking = sorted(results, key=lambda name: results[name][0]["val_accuracy"][-1], reverse=True)
    best, worst = ranking[0], ranking[-1]
    best_acc = results[best][0]["val_accuracy"][-1]
    worst_acc = results[worst][0]["val_accuracy"][-1]
    lowest_loss = min(results, key=lambda name: results[name][0]["loss"][-1])
    report.headline = f"best val accuracy: {best} {best_acc:.1%} (worst: {worst} {worst_acc:.1%})"
    report.text(
        "The lab implements RMSprop and Adam and compares them with SGD + momentum on the six-layer net, "
        "at the learning rates it suggests (RMSprop 1e-4, Adam 1e-3); Adamax (2e-3, its usual default) is "
        f"added. Every run starts from the same weights and sees the same batches. On {data.name}, after "
        f"{epochs} epochs {best} has the best validation accuracy ({best_acc:.1%}) and {worst} the worst "
        f"({worst_acc:.1%}); {lowest_loss} reaches the lowest training loss "
        f"({results[lowest_loss][0]['loss'][-1]:.3f}). The ranking is that of these learning rates: each "
        "rule would need its own learning-rate search for a fair verdict."
    )
    report.table(
        ["update rule", "settings", "final train loss", "final train accuracy", "final val accuracy"],
        [
            [
                name,
                keywords(rules[name][1]),
                results[name][0]["loss"][-1],
                results[name][0]["accuracy"][-1],
                results[name][0]["val_accuracy"][-1],
            ]
            for name in ranking
        ],
        caption=f"After {epochs} epochs, best first",
    )
    add_loss_figure(report, results, epochs)
    report.figure(
        "train_accuracy.png",
        plots.curves(
            {name: h["accuracy"] for name, (h, _) in results.items()}, "Training accuracy", "accuracy"
        ),
        "Training accuracy per epoch.",
    )
    report.figure(
        "val_accuracy.png",
        plots.curves(
            {name: h["val_accuracy"] for name, (h, _) in results.items()}, "Validation accuracy", "accuracy"
        ),
        "Validation accuracy per epoch.",
    )
    return report
