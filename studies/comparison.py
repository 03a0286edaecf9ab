"""The protocol of the equal-budget comparisons (kernel sizes, residual blocks) and what their reports say.

Every variant gets the same data, parameter budget, optimizer, schedule and seeds:
- data: a training subset, a validation set held out from the rest of the training split (the curves and
  the convergence check use it) and the test set (only the final accuracy);
- schedule: the last ``decay_epochs`` epochs at the learning rate / ``DECAY``, so that the final epoch is
  a settled model rather than one noisy step of a constant-rate walk;
- seeds: a seed sets the initial weights and the batch order. A run whose validation accuracy ends below
  ``FAILED_BELOW`` times chance has failed: it is reported and retrained from the same seed at
  ``RETRY_LR_FACTOR`` times the rate, never averaged in silently;
- convergence: a variant is still improving when its mean validation accuracy rose more than
  ``PLATEAU_GAIN`` over the last ``PLATEAU_EPOCHS`` epochs;
- verdict: one variant beats another only when the gap of their mean test accuracies exceeds the sum of
  their standard deviations over seeds; otherwise they tie within the spread.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from torch_models import count_parameters
from torch_models.train import History, fit, seed_everything

from . import plots
from .data import StudyData, load_study_data
from .report import Report
from .torch_data import tensor_dataset
from .torch_measure import accuracy_on

DECAY = 10
FAILED_BELOW = 2.0  # times chance accuracy
RETRY_LR_FACTOR = 0.25
PLATEAU_EPOCHS = 2
PLATEAU_GAIN = 0.005


@dataclasses.dataclass(frozen=True)
class Schedule:
    epochs: int  # in all, the decayed ones included
    decay_epochs: int
    lr: float
    optimizer: str = "adamax"
    batch_size: int = 32

    def description(self) -> str:
        return (
            f"{self.optimizer.capitalize()}, batch size {self.batch_size}, {self.epochs} epochs: "
            f"{self.epochs - self.decay_epochs} at lr {self.lr:g}, then {self.decay_epochs} at "
            f"lr {self.lr / DECAY:g}"
        )


@dataclasses.dataclass
class ComparisonData:
    data: StudyData  # the training subset and the test set, for ``report.uses``
    train_set: torch.utils.data.Dataset
    val: DataLoader
    test: DataLoader
    n_val: int
    num_classes: int

    @property
    def in_channels(self) -> int:
        return self.data.input_shape[0]


def comparison_data(ctx, n_train: int, n_val: int, n_test: int | None, batch_size: int) -> ComparisonData:
    """Fashion-MNIST (or ``ctx.dataset``) at 28x28: ``n_train`` training and ``n_val`` validation images
    drawn from the training split, ``n_test`` test images (None: all); tiny mode shrinks them all."""
    full = load_study_data(ctx, size=28)
    drawn = full.subset(n_train + n_val, n_test, seed=ctx.seed)
    x_train, y_train, x_val, y_val = drawn.split_validation(n_val / (n_train + n_val), seed=ctx.seed)
    name = f"{full.dataset}, {len(x_train)} train / {len(x_val)} validation / {len(drawn.x_test)} test"
    data = dataclasses.replace(drawn, name=name, x_train=x_train, y_train=y_train)

    def ordered(x: np.ndarray, y: np.ndarray) -> DataLoader:
        return DataLoader(tensor_dataset(x, y), batch_size=batch_size, shuffle=False)

    return ComparisonData(
        data,
        tensor_dataset(x_train, y_train),
        ordered(x_val, y_val),
        ordered(drawn.x_test, drawn.y_test),
        len(x_val),
        full.num_classes,
    )


def mode_setup(ctx) -> tuple[ComparisonData, Schedule]:
    """The data and schedule of a comparison study in ``ctx``'s mode: full 10,000 train / 2,000 validation
    / all test images over 10 epochs (the last 3 decayed), quick 2,000 / 500 / 2,000 over 6, tiny seconds."""
    n_train, n_val, n_test = ctx.pick(
        full=(10_000, 2_000, None), quick=(2_000, 500, 2_000), tiny=(192, 64, None)
    )
    schedule = Schedule(
        epochs=ctx.pick(full=10, quick=6, tiny=2), decay_epochs=ctx.pick(full=3, quick=2, tiny=1), lr=2e-3
    )
    return comparison_data(ctx, n_train, n_val, n_test, schedule.batch_size), schedule


@dataclasses.dataclass
class SeedRun:
    seed: int
    lr: float
    model: nn.Module
    history: History
    test_accuracy: float

    def failed(self, num_classes: int) -> bool:
        return self.history.val_accuracy[-1] < FAILED_BELOW / num_classes


def _joined(first: History, second: History) -> History:
    a, b = first.to_dict(), second.to_dict()
    return History.from_dict({key: a[key] + b[key] for key in a})


def train_run(
    build: Callable[[], nn.Module],
    data: ComparisonData,
    schedule: Schedule,
    seed: int,
    lr: float,
    device: str,
) -> SeedRun:
    """One model from ``seed`` (weights and batch order) on the schedule, starting at ``lr``."""
    seed_everything(seed)
    model = build()
    train = DataLoader(
        data.train_set,
        batch_size=schedule.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    options = {"optimizer": schedule.optimizer, "device": device, "progress": False}
    history = fit(
        model, train, data.val, lr=lr, epochs=schedule.epochs - schedule.decay_epochs, seed=seed, **options
    )
    if schedule.decay_epochs:
        decayed = fit(model, train, data.val, lr=lr / DECAY, epochs=schedule.decay_epochs, **options)
        history = _joined(history, decayed)
    return SeedRun(seed, lr, model, history, accuracy_on(model, data.test, device))


@dataclasses.dataclass
class VariantResult:
    name: str
    parameters: int
    runs: list[SeedRun]  # one per seed; a retried run in place of its failure
    failures: list[SeedRun]  # the runs that ended near chance

    @property
    def test_accuracies(self) -> list[float]:
        return [run.test_accuracy for run in self.runs]

    @property
    def mean(self) -> float:
        return float(np.mean(self.test_accuracies))

    @property
    def std(self) -> float:
        return float(np.std(self.test_accuracies))

    def mean_curve(self, key: str) -> list[float]:
        """The mean over seeds of a per-epoch ``History`` list, e.g. "val_accuracy"."""
        return np.mean([getattr(run.history, key) for run in self.runs], axis=0).tolist()

    @property
    def late_gain(self) -> float:
        """Rise of the mean validation accuracy over the last ``PLATEAU_EPOCHS`` epochs."""
        curve = self.mean_curve("val_accuracy")
        return curve[-1] - curve[max(0, len(curve) - 1 - PLATEAU_EPOCHS)]

    @property
    def still_improving(self) -> bool:
        return self.late_gain > PLATEAU_GAIN


def train_variant(
    name: str,
    build: Callable[[], nn.Module],
    data: ComparisonData,
    schedule: Schedule,
    seeds: list[int],
    device: str,
) -> VariantResult:
    """``build()`` trained from each seed; a failed run is kept aside and retrained at a lower rate."""
    runs, failures = [], []
    for seed in seeds:
        run = train_run(build, data, schedule, seed, schedule.lr, device)
        if run.failed(data.num_classes):
            failures.append(run)
            run = train_run(build, data, schedule, seed, schedule.lr * RETRY_LR_FACTOR, device)
        runs.append(run)
    return VariantResult(name, count_parameters(runs[0].model), runs, failures)


def protocol(data: ComparisonData, schedule: Schedule, seeds: list[int], trainings: int) -> str:
    """The sentences of a report that state the data, the equal budget and the seeds."""
    side = data.data.input_shape[-1]
    return (
        f"Each is trained on the same {len(data.data.x_train):,} {data.data.dataset} training images at "
        f"{side}x{side} (a stated subset, so that {trainings} trainings fit a CPU budget; "
        f"{data.n_val:,} more training images are held out for validation) with one equal budget: "
        f"{schedule.description()}, from seeds {seeds} (initial weights and batch order). Test accuracy "
        f"is measured once, after the last epoch, on {len(data.data.x_test):,} test images. ± is the "
        "standard deviation over seeds."
    )


def field_method(side: int, unclipped_side: int) -> str:
    """How the reports' receptive fields are measured."""
    return (
        "The receptive field is measured from gradients (`torch_models.receptive_field`): the input pixels "
        f"that reach the centre unit of the last feature map, on the {side}x{side} image (clipped to it) and "
        f"on a {unclipped_side}x{unclipped_side} input (the field before clipping)."
    )


def _points(share: float) -> str:
    return f"{100 * share:.1f} points"


def verdict(results: list[VariantResult]) -> str:
    """Which variants the best one beats by more than the spread, and which tie with it."""
    best = max(results, key=lambda r: r.mean)
    beaten, tied = [], []
    for other in results:
        if other is best:
            continue
        gap, spread = best.mean - other.mean, best.std + other.std
        (beaten if gap > spread else tied).append(
            f"{other.name} by {_points(gap)} (spread {_points(spread)})"
        )
    sentence = f"{best.name} has the best mean test accuracy, {best.mean:.1%} ± {best.std:.1%}."
    if beaten:
        sentence += f" It is ahead of {', '.join(beaten)}: a gap larger than the spread."
    if tied:
        sentence += f" Against {', '.join(tied)} it is a tie within the spread."
    return sentence + " (The spread of two variants is the sum of their standard deviations over seeds.)"


def headline(results: list[VariantResult]) -> str:
    best = max(results, key=lambda r: r.mean)
    tied = [r.name for r in results if r is not best and best.mean - r.mean <= best.std + r.std]
    line = f"best {best.name}: test accuracy {best.mean:.1%} ± {best.std:.1%} over {len(best.runs)} seeds"
    return line + (f"; tie within the spread with {', '.join(tied)}" if tied else "; ahead of all")


def convergence(results: list[VariantResult], schedule: Schedule) -> str:
    """Whether the equal budget is also the converged result of every variant."""
    improving = [r for r in results if r.still_improving]
    gains = ", ".join(f"{r.name} {r.late_gain:+.1%}" for r in results)
    window = f"the last {PLATEAU_EPOCHS} epochs"
    if not improving:
        return (
            f"Equal budget and converged coincide: over {window} the mean validation accuracy of every "
            f"variant moved by at most {PLATEAU_GAIN:.1%} ({gains}), so {schedule.epochs} epochs are enough "
            "for all of them."
        )
    names = ", ".join(r.name for r in improving)
    return (
        f"Equal budget is not converged for {names}: the mean validation accuracy still rose over {window} "
        f"({gains}), so those figures are what {schedule.epochs} epochs buy, not what the designs can reach."
    )


def failure_notes(results: list[VariantResult], num_classes: int) -> str:
    """One sentence per failed run, with its retry; a statement that none failed otherwise."""
    notes = []
    for result in results:
        for failed in result.failures:
            retry = next(run for run in result.runs if run.seed == failed.seed)
            notes.append(
                f"{result.name}, seed {failed.seed}: validation accuracy "
                f"{failed.history.val_accuracy[-1]:.1%} "
                f"(loss {failed.history.loss[-1]:.3f}) at lr {failed.lr:g}, near chance; retrained from "
                f"the same seed at lr {retry.lr:g}: test accuracy {retry.test_accuracy:.1%}"
                f"{' (failed again)' if retry.failed(num_classes) else ''}, counted in the mean in its place "
                "(so this seed had a different learning rate)."
            )
    if not notes:
        return (
            f"No run failed: every seed of every variant ended above {FAILED_BELOW:g} times chance "
            f"({FAILED_BELOW / num_classes:.0%} validation accuracy)."
        )
    return "Failed runs: " + " ".join(notes)


def add_comparison(
    report: Report, results: list[VariantResult], schedule: Schedule, num_classes: int
) -> None:
    """The verdict, convergence and failure paragraphs, the mean ± std bar chart and the curves."""
    report.text(verdict(results))
    report.text(convergence(results, schedule))
    report.text(failure_notes(results, num_classes))
    seeds = len(results[0].runs)
    report.figure(
        "test_accuracy.png",
        plots.bar_with_errors(
            [r.name for r in results],
            [r.mean for r in results],
            [r.std for r in results],
            f"Test accuracy, mean ± std over {seeds} seeds",
            "test accuracy",
        ),
        f"Final test accuracy, mean ± standard deviation over {seeds} seeds",
    )
    series = {}
    for r in results:
        series[f"{r.name} train"] = r.mean_curve("accuracy")
        series[f"{r.name} val"] = r.mean_curve("val_accuracy")
    report.figure(
        "curves.png",
        plots.curves(series, f"Accuracy per epoch (mean over {seeds} seeds)", "accuracy"),
        f"Training (solid, measured while training) and validation (dashed) accuracy per epoch, mean over "
        f"seeds; the learning rate drops {DECAY}x for the last {schedule.decay_epochs} epochs",
    )
