"""Study 2: a six-layer fully connected net trained with plain SGD and with SGD + momentum."""

from __future__ import annotations

import numpy as np

from convkit import models, optimizers
from convkit.callbacks import Callback
from convkit.optimizers import Optimizer

from . import plots
from .context import StudyContext
from .data import StudyData, load_study_data
from .registry import study
from .report import Report

TITLE = "Six-layer net: SGD vs SGD + momentum"
HIDDEN_DIMS = [100] * 5  # five hidden layers + the output layer: six affine layers
WEIGHT_SCALE = 1e-1  # the lab's 5e-2 is sized for CIFAR-10; on 784 digit pixels it barely trains


class BatchLosses(Callback):
    """Records the training loss of every batch (``losses``), for per-iteration loss curves."""

    def __init__(self):
        super().__init__()
        self.losses: list[float] = []

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.losses.append(float((logs or {})["loss"]))


def smooth(values: list[float], window: int) -> list[float]:
    """The running mean of the last ``window`` values (fewer at the start), to read noisy batch losses."""
    cumulative = np.cumsum([0.0, *values])
    return [
        float((cumulative[i + 1] - cumulative[max(0, i + 1 - window)]) / min(i + 1, window))
        for i in range(len(values))
    ]


def train_six_layer_net(
    data: StudyData, optimizer: Optimizer, epochs: int, batch_size: int, seed: int
) -> tuple[dict[str, list[float]], list[float]]:
    """Train a fresh six-layer net (same seed, so same initial weights) on the flattened ``data``, the test
    split serving as validation; returns (the fit history, the loss of every batch)."""
    x_train, y_train, x_val, y_val = data.split_validation(0.2, seed)
    model = models.fully_connected_net(
        HIDDEN_DIMS, num_classes=data.num_classes, input_dim=x_train.shape[1], weight_scale=WEIGHT_SCALE
    )
    model.compile(optimizer, loss="cross_entropy", metrics=["accuracy"])
    batch_losses = BatchLosses()
    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(x_val, y_val),
        callbacks=[batch_losses],
        seed=seed,
        verbose=0,
    )
    return history.history, batch_losses.losses


def load_small_training_set(ctx: StudyContext) -> StudyData:
    """The lab's small training set for the update-rule comparisons (4,000 images), flattened."""
    data = load_study_data(ctx).subset(ctx.pick(full=4000, quick=4000, tiny=200), None, ctx.seed)
    return data.flattened()


def add_loss_figure(report: Report, results: dict, epochs: int) -> None:
    """``loss.png``: each run's per-iteration training loss, smoothed over one epoch of batches.

    ``results`` maps a run's name to ``(history, per-batch losses)``.
    """
    steps = len(next(iter(results.values()))[1]) // epochs
    report.figure(
        "loss.png",
        plots.curves(
            {name: smooth(losses, steps) for name, (_, losses) in results.items()},
            "Training loss",
            f"cross-entropy (running mean over {steps} batches)",
            xlabel="iteration",
        ),
        "Training loss per iteration (running mean over one epoch of batches).",
    )


@study(2)
def run(ctx: StudyContext) -> Report:
    report = Report("sgd_momentum", TITLE, ctx)
    data = load_small_training_set(ctx)
    lr, epochs, batch_size = 1e-2, ctx.pick(10, 10, 1), 100
    rules = {"SGD": optimizers.SGD(lr=lr), "SGD + momentum 0.9": optimizers.SGD(lr=lr, momentum=0.9)}
    report.settings.update(
        data=f"{data.name} (the training split only: 80% train, 20% validation)",
        model=f"fully_connected_net(hidden_dims={HIDDEN_DIMS}, weight_scale={WEIGHT_SCALE}) (the lab's "
        "weight scale, 5e-2, is sized for CIFAR-10's 3,072 inputs)",
        optimizers=", ".join(f"{name}: lr={lr}" for name in rules),
        epochs=epochs,
        batch_size=batch_size,
    )
    results = {
        name: train_six_layer_net(data, rule, epochs, batch_size, ctx.seed) for name, rule in rules.items()
    }

    final = {
        name: (history["loss"][-1], history["val_accuracy"][-1]) for name, (history, _) in results.items()
    }
    (plain_loss, plain_acc), (momentum_loss, momentum_acc) = final.values()
    report.headline = f"val accuracy SGD {plain_acc:.1%} vs SGD + momentum {momentum_acc:.1%}"
    faster = "lower" if momentum_loss < plain_loss else "higher"
    report.text(
        "The lab trains a six-layer net (five hidden layers of 100) with the same learning rate, once with "
        "plain SGD and once with SGD + momentum, and expects momentum to converge faster. "
        f"On {data.name}, after {epochs} epochs momentum ends with a {faster} training loss "
        f"({momentum_loss:.3f} vs {plain_loss:.3f}) and {momentum_acc:.1%} validation accuracy against "
        f"{plain_acc:.1%} for plain SGD. Both start from the same initial weights (same seed) and see the "
        "same batches."
    )
    report.table(
        ["update rule", "final train loss", "final train accuracy", "final val accuracy"],
        [[name, h["loss"][-1], h["accuracy"][-1], h["val_accuracy"][-1]] for name, (h, _) in results.items()],
        caption=f"After {epochs} epochs",
    )
    add_loss_figure(report, results, epochs)
    report.figure(
        "accuracy.png",
        plots.curves(
            {
                **{f"{name} train": h["accuracy"] for name, (h, _) in results.items()},
                **{f"{name} val": h["val_accuracy"] for name, (h, _) in results.items()},
            },
            "Accuracy",
            "accuracy",
        ),
        "Training and validation accuracy per epoch.",
    )
    return report
