"""Study 4: the best fully connected net from a random hyperparameter search, retrained longer."""

from __future__ import annotations

import numpy as np

from convkit import models, optimizers

from . import plots
from .context import StudyContext
from .data import load_study_data
from .published import compare_with_published
from .registry import study
from .report import Report

TITLE = "The best fully connected net (random hyperparameter search)"
LAB_ITEM = "Lab A, item 4: best fully connected net"
WIDTHS = ([100, 100], [200, 100], [100, 100, 100], [256, 128, 100])
DROP_RATES = (0.0, 0.1, 0.25)  # convkit's Dropout rate: the probability of dropping a unit
PUBLISHED_MLP = "MLP 256-128-100"  # the Fashion-MNIST benchmark's only fully connected net
BATCH_SIZE = 100
NEAR_TIE = 0.005  # search results this close to the best (one seed each) are not told apart


def sample_config(rng: np.random.Generator) -> dict:
    """One random point of the search space: architecture, dropout, L2, Adam's lr (batch norm: study 5)."""
    return {
        "hidden_dims": list(WIDTHS[rng.integers(len(WIDTHS))]),
        "dropout": float(rng.choice(DROP_RATES)),
        "reg": float(10 ** rng.uniform(-5, -2)),
        "lr": float(10 ** rng.uniform(-3.5, -2.3)),
    }


def describe(config: dict) -> str:
    return (
        f"hidden {config['hidden_dims']}, drop {config['dropout']}, "
        f"reg {config['reg']:.1e}, lr {config['lr']:.1e}"
    )


def train(config: dict, split: tuple[np.ndarray, ...], num_classes: int, epochs: int, seed: int):
    """A fresh net of ``config`` fitted with Adam on ``split`` = (x_train, y_train, x_val, y_val);
    returns (model, history)."""
    x_train, y_train, x_val, y_val = split
    model = models.fully_connected_net(
        config["hidden_dims"],
        num_classes=num_classes,
        input_dim=x_train.shape[1],
        dropout=config["dropout"],
        reg=config["reg"],
    )
    model.compile(optimizers.Adam(lr=config["lr"]), loss="cross_entropy", metrics=["accuracy"])
    history = model.fit(
        x_train,
        y_train,
        batch_size=BATCH_SIZE,
        epochs=epochs,
        validation_data=(x_val, y_val),
        seed=seed,
        verbose=0,
    ).history
    return model, history


@study(4)
def run(ctx: StudyContext) -> Report:
    report = Report("best_fc_net", TITLE, ctx)
    data = load_study_data(ctx).subset(
        ctx.pick(full=None, quick=10000, tiny=200), ctx.pick(full=None, quick=2000, tiny=100), ctx.seed
    )
    report.uses(data)  # the images as loaded (1x28x28); the nets see them flattened
    data = data.flattened()
    split = data.split_validation(0.2, ctx.seed)
    trials, search_epochs, final_epochs = ctx.pick(12, 6, 2), ctx.pick(4, 3, 1), ctx.pick(20, 10, 1)
    report.settings.update(
        split=f"{len(split[0]):,} train / {len(split[2]):,} validation (held out of the training split) / "
        f"{len(data.x_test):,} test (used once, for the final model only)",
        search=f"{trials} random configurations, {search_epochs} epochs each: hidden dims from "
        f"{list(WIDTHS)}, drop probability from {list(DROP_RATES)}, L2 reg log-uniform in [1e-5, 1e-2], "
        "Adam lr log-uniform in [3e-4, 5e-3]",
        final=f"the best configuration retrained from scratch for {final_epochs} epochs",
        batch_size=BATCH_SIZE,
    )

    rng = np.random.default_rng(ctx.seed)
    results = []
    for trial in range(trials):
        config = sample_config(rng)
        _, history = train(config, split, data.num_classes, search_epochs, ctx.seed + trial)
        results.append((history["val_accuracy"][-1], trial, config, history))
    results.sort(key=lambda result: result[0], reverse=True)
    search_val, best_trial, best_config, _ = results[0]

    model, final_history = train(best_config, split, data.num_classes, final_epochs, ctx.seed + best_trial)
    best_val = final_history["val_accuracy"][-1]
    test_accuracy = model.evaluate(data.x_test, data.y_test, batch_size=500, verbose=0)["accuracy"]
    report.headline = f"test accuracy {test_accuracy:.1%} (val {best_val:.1%}; {describe(best_config)})"
    report.text(
        "The lab asks for the best fully connected net one can train, its hyperparameters chosen on "
        f"validation data. Here {trials} configurations are drawn at random and each is trained for "
        f"{search_epochs} epochs with Adam on {len(split[0]):,} {data.dataset} training images, "
        f"{len(split[2]):,} more held out of the training split for validation. The best (trial "
        f"{best_trial + 1}: {describe(best_config)}, {search_val:.1%} validation accuracy after "
        f"{search_epochs} epochs; the worst reached {results[-1][0]:.1%}) is then retrained from scratch for "
        f"{final_epochs} epochs: {best_val:.1%} validation accuracy, and {test_accuracy:.1%} on the test "
        "split, which is used once, for that model only. Short search runs favour fast learners: a "
        "configuration with much dropout or a small learning rate may need more epochs than the search gives "
        "it."
    )
    close = [trial for val, trial, *_ in results if search_val - val <= NEAR_TIE]
    if len(close) > 1:
        report.text(
            f"Trials {', '.join(f'#{trial + 1}' for trial in close)} lie within {100 * NEAR_TIE:.1f} "
            "points of each other after the search, each from one seed: nets of this size differ by a few "
            "tenths of a point from seed to seed (the update-rules study measures it), so the search tells "
            "good regions of the space from bad ones, not the best of these configurations from the next."
        )
    ours = [(f"best FC net ({describe(best_config)})", test_accuracy, PUBLISHED_MLP)]
    compare_with_published(report, data, ours)
    if data.is_fashion_mnist:
        report.text(
            f"{PUBLISHED_MLP} is the benchmark's only fully connected net; [256, 128, 100] is one of the "
            "search's architectures."
        )
    report.table(
        ["rank", "trial", "configuration", "train accuracy", "val accuracy"],
        [
            [rank + 1, trial + 1, describe(config), history["accuracy"][-1], val]
            for rank, (val, trial, config, history) in enumerate(results)
        ],
        caption=f"The search, best validation accuracy after {search_epochs} epochs first (train: the "
        "running mean over the last epoch's batches)",
    )
    search_figure = plots.bar(
        [f"#{trial + 1}" for _, trial, *_ in results],
        [val for val, *_ in results],
        f"Validation accuracy after {search_epochs} epochs, per trial",
        "accuracy",
    )
    search_figure.axes[0].set_xlabel("trial number (best first)")
    lowest = min(val for val, *_ in results)
    search_figure.axes[0].set_ylim(max(0.0, lowest - 0.05), min(1.0, search_val + 0.02))
    report.figure(
        "search.png", search_figure, "Validation accuracy of each trial of the search (best first)."
    )
    report.figure(
        "best_curves.png",
        plots.curves(
            {"best net train": final_history["accuracy"], "best net val": final_history["val_accuracy"]},
            f"Best configuration retrained ({describe(best_config)})",
            "accuracy",
        ),
        "Training and validation accuracy of the best configuration, retrained.",
    )
    return report
