"""The six-layer fully connected net that studies 2 and 3 train with different update rules, over seeds,
and the figures they share."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np

from convkit import models
from convkit.callbacks import Callback
from convkit.optimizers import Optimizer
from convkit.sequential import Sequential

from . import plots
from .report import Report
from .seed_stats import Spread

HIDDEN_DIMS = [100] * 5  # five hidden layers + the output layer: six affine layers
# The lab's 5e-2 suits CIFAR-10 as CS231n feeds it (mean-subtracted 0-255 pixels); on pixels in [0, 1]
# the signal vanishes through five layers of it and plain SGD does not move in 10 epochs.
WEIGHT_SCALE = 1e-1
SMOOTHING = 50  # batches, at most, in the running mean of the per-iteration loss curves


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


@dataclasses.dataclass
class Run:
    """One seed's training: the fit history, every batch's loss and the trained model."""

    history: dict[str, list[float]]
    batch_losses: list[float]
    model: Sequential


def train_six_layer_net(
    split: tuple[np.ndarray, ...],
    num_classes: int,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int,
    seed: int,
) -> Run:
    """Train a fresh six-layer net (``seed``: initial weights and batch order) on ``split`` =
    ``(x_train, y_train, x_val, y_val)`` of flattened images."""
    x_train, y_train, x_val, y_val = split
    model = models.fully_connected_net(
        HIDDEN_DIMS, num_classes=num_classes, input_dim=x_train.shape[1], weight_scale=WEIGHT_SCALE
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
    return Run(history.history, batch_losses.losses, model)


def train_over_seeds(
    rules: Mapping[str, Callable[[], Optimizer]],
    split: tuple[np.ndarray, ...],
    num_classes: int,
    epochs: int,
    batch_size: int,
    seeds: list[int],
) -> dict[str, list[Run]]:
    """Every rule (a name -> a factory of fresh optimizers) trained once per seed; seed ``s`` gives every
    rule the same initial weights and batches."""
    return {
        name: [train_six_layer_net(split, num_classes, make(), epochs, batch_size, seed) for seed in seeds]
        for name, make in rules.items()
    }


def final(runs: list[Run], key: str) -> Spread:
    """The last epoch's ``key`` (``loss``, ``accuracy``, ``val_accuracy``) over the seeds."""
    return Spread.of(run.history[key][-1] for run in runs)


def mean_curve(runs: list[Run], key: str) -> list[float]:
    """The per-epoch ``key`` averaged over the seeds."""
    return list(np.mean([run.history[key] for run in runs], axis=0))


def add_loss_figure(report: Report, results: Mapping[str, list[Run]], epochs: int) -> None:
    """``loss.png``: each rule's per-iteration training loss, averaged over the seeds and smoothed over
    one epoch of batches or ``SMOOTHING`` batches, whichever is fewer."""
    steps = min(SMOOTHING, len(next(iter(results.values()))[0].batch_losses) // epochs)
    series = {
        f"{name} train": smooth(list(np.mean([run.batch_losses for run in runs], axis=0)), steps)
        for name, runs in results.items()
    }
    seeds = len(next(iter(results.values())))
    figure = plots.curves(
        series,
        f"Training loss (mean of {seeds} seeds)",
        f"cross-entropy, log scale (running mean over {steps} batches)",
        xlabel="iteration",
    )
    figure.axes[0].set_yscale("log")
    report.figure(
        "loss.png",
        figure,
        f"Training loss per iteration, mean over {seeds} seeds, running mean over {steps} batches.",
    )


def add_accuracy_figure(report: Report, results: Mapping[str, list[Run]]) -> None:
    """``accuracy.png``: each rule's training and validation accuracy per epoch, mean over the seeds."""
    seeds = len(next(iter(results.values())))
    series = {}
    for name, runs in results.items():
        series[f"{name} train"] = mean_curve(runs, "accuracy")
        series[f"{name} val"] = mean_curve(runs, "val_accuracy")
    report.figure(
        "accuracy.png",
        plots.curves(series, f"Accuracy (mean of {seeds} seeds)", "accuracy"),
        f"Training (solid, running mean over each epoch's batches) and validation (dashed) accuracy per "
        f"epoch, mean over {seeds} seeds.",
    )
