"""Study 4: the best fully connected net from a small random hyperparameter search."""

from __future__ import annotations

import numpy as np

from convkit import models, optimizers

from . import plots
from .context import StudyContext
from .data import load_study_data
from .registry import study
from .report import Report

TITLE = "The best fully connected net (small hyperparameter search)"
LAB_BAR = 0.50  # the lab's validation accuracy bar for its best net (on CIFAR-10)
WIDTHS = ([100, 100], [200, 100], [100, 100, 100])


def sample_config(rng: np.random.Generator) -> dict:
    """One random point of the search space: architecture, dropout, L2, Adam's lr (batch norm: study 5)."""
    return {
        "hidden_dims": list(WIDTHS[rng.integers(len(WIDTHS))]),
        "dropout": float(rng.choice([0.0, 0.1, 0.25])),
        "reg": float(10 ** rng.uniform(-5, -2)),
        "lr": float(10 ** rng.uniform(-3.5, -2.3)),
    }


def describe(config: dict) -> str:
    return (
        f"hidden {config['hidden_dims']}, dropout {config['dropout']}, "
        f"reg {config['reg']:.1e}, lr {config['lr']:.1e}"
    )


@study(4)
def run(ctx: StudyContext) -> Report:
    report = Report("best_fc_net", TITLE, ctx)
    data = load_study_data(ctx).subset(
        ctx.pick(full=None, quick=10000, tiny=200), ctx.pick(full=None, quick=2000, tiny=100), ctx.seed
    )
    data = data.flattened()
    x_train, y_train, x_val, y_val = data.split_validation(0.2, ctx.seed)
    trials, epochs, batch_size = ctx.pick(20, 6, 2), ctx.pick(20, 10, 1), 64
    report.settings.update(
        data=data.name,
        split=f"{len(x_train)} train / {len(x_val)} validation (held out of train) / {len(data.x_test)} test",
        search=f"{trials} random configurations (hidden dims from {list(WIDTHS)}, "
        "dropout from 0 / 0.1 / 0.25, L2 reg log-uniform in [1e-5, 1e-2], "
        "Adam lr log-uniform in [3e-4, 5e-3])",
        epochs=epochs,
        batch_size=batch_size,
    )

    rng = np.random.default_rng(ctx.seed)
    results = []
    for trial in range(trials):
        config = sample_config(rng)
        model = models.fully_connected_net(
            config["hidden_dims"],
            num_classes=data.num_classes,
            input_dim=x_train.shape[1],
            dropout=config["dropout"],
            reg=config["reg"],
        )
        model.compile(optimizers.Adam(lr=config["lr"]), loss="cross_entropy", metrics=["accuracy"])
        history = model.fit(
            x_train,
            y_train,
            batch_size=batch_size,
            epochs=epochs,
            validation_data=(x_val, y_val),
            seed=ctx.seed + trial,
            verbose=0,
        ).history
        results.append((history["val_accuracy"][-1], trial, config, history, model))

    results.sort(key=lambda result: result[0], reverse=True)
    best_val, best_trial, best_config, best_history, best_model = results[0]
    test_accuracy = best_model.evaluate(data.x_test, data.y_test, batch_size=256, verbose=0)["accuracy"]
    report.headline = f"val accuracy {best_val:.1%}, test {test_accuracy:.1%} (lab bar: {LAB_BAR:.0%} val)"
    report.text(
        "The lab asks for the best fully connected net one can train, at least "
        f"{LAB_BAR:.0%} validation accuracy on CIFAR-10. Here {trials} configurations are drawn at random "
        f"and each is trained for {epochs} epochs with Adam on {data.name}; the one with the best "
        f"validation accuracy (trial {best_trial + 1}: {describe(best_config)}) reaches {best_val:.1%} on "
        f"validation and {test_accuracy:.1%} on the test split, which is used once, for that model only. "
        f"The worst configuration reached {results[-1][0]:.1%}."
    )
    report.table(
        ["rank", "trial", "configuration", "train accuracy", "val accuracy"],
        [
            [rank + 1, trial + 1, describe(config), history["accuracy"][-1], val]
            for rank, (val, trial, config, history, _) in enumerate(results)
        ],
        caption="Every configuration, best validation accuracy first",
    )
    report.figure(
        "search.png",
        plots.bar(
            [f"#{trial + 1}" for _, trial, *_ in results],
            [val for val, *_ in results],
            "Validation accuracy per trial",
            "accuracy",
        ),
        "Final validation accuracy of each trial (best first).",
    )
    report.figure(
        "best_curves.png",
        plots.curves(
            {"train": best_history["accuracy"], "validation": best_history["val_accuracy"]},
            f"Best net (trial {best_trial + 1})",
            "accuracy",
        ),
        "Training and validation accuracy of the best configuration.",
    )
    return report
