"""Torch models trained from several seeds on one train / validation / test split, summarized as mean ± std.

The split is made once: a validation part of the training images (curves, learning-rate choice), the
training images themselves in order (eval-mode train accuracy, for the train-test gap) and the untouched
test set, measured once per run. Each run reseeds the weights and the batch order, so a run depends only on
its seed, never on which runs came before it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from torch_models.train import History, fit, seed_everything

from . import plots
from .data import StudyData
from .torch_data import tensor_dataset
from .torch_measure import accuracy_on

STILL_IMPROVING = 0.005  # a validation gain over the last two epochs above this: not converged


def standardized(data: StudyData) -> StudyData:
    """``data`` with every channel shifted and scaled by the training images' mean and std (new arrays)."""
    mean = data.x_train.mean(axis=(0, 2, 3), keepdims=True)  # (1, C, 1, 1)
    std = data.x_train.std(axis=(0, 2, 3), keepdims=True)  # (1, C, 1, 1)
    return dataclasses.replace(data, x_train=(data.x_train - mean) / std, x_test=(data.x_test - mean) / std)


@dataclasses.dataclass
class Split:
    """Datasets of one study: ``train`` (fitted on), ``val`` (held out from the training images), ``test``."""

    train: torch.utils.data.TensorDataset
    val: torch.utils.data.TensorDataset
    test: torch.utils.data.TensorDataset
    num_classes: int
    in_channels: int
    side: int
    batch_size: int

    def loader(self, part: str, seed: int | None = None) -> DataLoader:
        """``part``'s loader: shuffled by ``seed`` when one is given, else in order."""
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        return DataLoader(
            getattr(self, part), batch_size=self.batch_size, shuffle=seed is not None, generator=generator
        )


def make_split(data: StudyData, n_val: int, batch_size: int, seed: int = 0) -> Split:
    """``n_val`` of ``data``'s training images held out for validation; the test set kept whole."""
    x_train, y_train, x_val, y_val = data.split_validation(n_val / len(data.x_train), seed=seed)
    return Split(
        tensor_dataset(x_train, y_train),
        tensor_dataset(x_val, y_val),
        tensor_dataset(data.x_test, data.y_test),
        data.num_classes,
        data.input_shape[0],
        data.input_shape[-1],
        batch_size,
    )


@dataclasses.dataclass
class Run:
    seed: int
    lr: float
    model: nn.Module
    history: History  # val_* are on the validation split
    train_accuracy: float  # eval mode, over the training images
    test_accuracy: float

    def layer_norms(self, epoch: int = 0) -> list[float]:
        """Mean gradient norm of each conv and linear layer in ``epoch``, input side first; BatchNorm and
        the 1x1 shortcut projections are left out, so that plain and residual profiles line up."""
        return [
            norm
            for layer, norm in self.history.grad_norms[epoch].items()
            if isinstance(self.model.get_submodule(layer), (nn.Conv2d, nn.Linear)) and "shortcut" not in layer
        ]

    @property
    def gap(self) -> float:
        """Train minus test accuracy: how much the model overfits."""
        return self.train_accuracy - self.test_accuracy


def train_run(
    build: Callable[[], nn.Module],
    split: Split,
    *,
    seed: int,
    lr: float,
    epochs: int,
    optimizer: str = "adam",
    weight_decay: float = 0.0,
    clip_grad_norm: float | None = None,
    device: str = "cpu",
) -> Run:
    """Build a model from ``seed``, train it on ``split.train`` with batches shuffled by ``seed``, and
    measure it (per-layer gradient norms tracked)."""
    seed_everything(seed)
    model = build()
    history = fit(
        model,
        split.loader("train", seed),
        split.loader("val"),
        optimizer=optimizer,
        lr=lr,
        epochs=epochs,
        weight_decay=weight_decay,
        clip_grad_norm=clip_grad_norm,
        seed=seed,
        device=device,
        track_grad_norms=True,
        progress=False,
    )
    train = accuracy_on(model, split.loader("train"), device)
    test = accuracy_on(model, split.loader("test"), device)
    return Run(seed, lr, model, history, train, test)


def train_seeds(
    build: Callable[[], nn.Module], split: Split, seeds: Sequence[int], lrs: Sequence[float], **options
) -> tuple[list[Run], dict[float, float]]:
    """Runs from every seed at the learning rate of ``lrs`` with the best final validation accuracy of
    the first seed's runs; also returns that accuracy per learning rate (the choice, for the report)."""
    first = {lr: train_run(build, split, seed=seeds[0], lr=lr, **options) for lr in lrs}
    val = {lr: run.history.val_accuracy[-1] for lr, run in first.items()}
    lr = max(val, key=val.get)
    return [first[lr]] + [train_run(build, split, seed=s, lr=lr, **options) for s in seeds[1:]], val


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and (population) standard deviation."""
    return float(np.mean(values)), float(np.std(values))


def pm(values: Sequence[float], percent: bool = True) -> str:
    """``"88.1% ± 0.3%"`` (or ``"0.123 ± 0.004"``) over ``values``."""
    mean, std = mean_std(values)
    return f"{mean:.1%} ± {std:.1%}" if percent else f"{mean:.3g} ± {std:.2g}"


def clearly_apart(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether the means of ``a`` and ``b`` differ by more than the sum of their standard deviations: the
    bar a difference must clear before a report calls it real."""
    (mean_a, std_a), (mean_b, std_b) = mean_std(a), mean_std(b)
    return abs(mean_a - mean_b) > std_a + std_b


def late_gain(runs: Sequence[Run], last: int = 2) -> float:
    """Mean validation-accuracy gain over the last ``last`` epochs (NaN for runs of ``last`` epochs or
    fewer): above ``STILL_IMPROVING`` a model is still improving."""
    if len(runs[0].history) <= last:
        return float("nan")
    return float(np.mean([r.history.val_accuracy[-1] - r.history.val_accuracy[-1 - last] for r in runs]))


def convergence_note(gains: dict[str, float]) -> str:
    """A report's sentence on equal budget vs convergence, from each model's ``late_gain``."""
    if any(np.isnan(gain) for gain in gains.values()):
        return "The runs are too short (two epochs or fewer) to tell whether the models have converged."
    unconverged = [name for name, gain in gains.items() if gain > STILL_IMPROVING]
    if not unconverged:
        return (
            f"Every model has converged within the budget: no validation accuracy rose by more than "
            f"{STILL_IMPROVING:.1%} over the last two epochs, so equal budget and convergence agree here."
        )
    return (
        f"Equal budget is not convergence for {', '.join(unconverged)}: validation accuracy still rose by "
        f"more than {STILL_IMPROVING:.1%} over the last two epochs, so these models would gain from a "
        "longer run, and their figures are at equal budget."
    )


def lr_choice_table(
    report, lr_choice: dict[str, dict[float, float]], lrs: Sequence[float], epochs: int, seed: int
) -> None:
    """The validation accuracy of each model at each candidate learning rate (``lr_choice[model][lr]``),
    when there was a choice."""
    if len(lrs) > 1:
        report.table(
            ["model", *(f"lr {lr:g}" for lr in lrs)],
            [[name, *(f"{val[lr]:.1%}" for lr in lrs)] for name, val in lr_choice.items()],
            caption=f"Validation accuracy after {epochs} epochs, seed {seed}: the learning-rate choice",
        )


def test_accuracy_figure(report, test: dict[str, list[float]], seeds: int, caption: str) -> None:
    """``test_accuracy.png``: a bar per model (``test[model]``: one accuracy per seed), mean ± std."""
    report.figure(
        "test_accuracy.png",
        plots.bar_with_errors(
            list(test),
            [mean_std(v)[0] for v in test.values()],
            [mean_std(v)[1] for v in test.values()],
            f"Test accuracy, mean ± std over {seeds} seeds",
            "test accuracy",
        ),
        caption,
    )
