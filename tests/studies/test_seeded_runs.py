"""Seeded runs on a train / validation / test split: standardization, the split, reproducible runs, the
spread rule and the convergence note."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("torch")

import torch  # noqa: E402
from torch import nn  # noqa: E402

from studies.data import StudyData  # noqa: E402
from studies.seeded_runs import (  # noqa: E402
    clearly_apart,
    convergence_note,
    late_gain,
    make_split,
    pm,
    standardized,
    train_run,
    train_seeds,
)
from torch_models.train import History  # noqa: E402


def _data(n_train: int = 60, n_test: int = 20, channels: int = 3) -> StudyData:
    rng = np.random.default_rng(0)
    x_train = rng.uniform(0.2, 0.9, size=(n_train, channels, 8, 8)).astype(np.float32)
    x_test = rng.uniform(0.2, 0.9, size=(n_test, channels, 8, 8)).astype(np.float32)
    x_train.flags.writeable = False  # as the cached study data
    y_train = np.arange(n_train) % 4
    y_test = np.arange(n_test) % 4
    return StudyData("toy", x_train, y_train, x_test, y_test, class_names=("a", "b", "c", "d"))


def test_standardized_uses_the_training_statistics_per_channel():
    data = _data()
    scaled = standardized(data)
    np.testing.assert_allclose(scaled.x_train.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(scaled.x_train.std(axis=(0, 2, 3)), 1, atol=1e-5)
    mean = data.x_train.mean(axis=(0, 2, 3), keepdims=True)
    std = data.x_train.std(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(scaled.x_test, (data.x_test - mean) / std, rtol=1e-5)


def test_split_holds_out_validation_images_and_keeps_the_test_set():
    split = make_split(_data(), n_val=15, batch_size=8)
    assert (len(split.train), len(split.val), len(split.test)) == (45, 15, 20)
    assert (split.num_classes, split.in_channels, split.side) == (4, 3, 8)
    in_order = torch.cat([y for _, y in split.loader("test")])
    assert in_order.tolist() == (np.arange(20) % 4).tolist()
    first, again = (torch.cat([y for _, y in split.loader("train", seed=5)]) for _ in range(2))
    assert torch.equal(first, again) and not torch.equal(
        first, torch.cat([y for _, y in split.loader("train")])
    )


def _build() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 4))


def test_a_run_depends_only_on_its_seed():
    split = make_split(standardized(_data()), n_val=15, batch_size=8)
    runs = [train_run(_build, split, seed=seed, lr=1e-2, epochs=2) for seed in (3, 4, 3)]
    assert runs[0].history.loss == runs[2].history.loss and runs[0].history.loss != runs[1].history.loss
    assert runs[0].test_accuracy == runs[2].test_accuracy
    assert runs[0].gap == runs[0].train_accuracy - runs[0].test_accuracy
    assert list(runs[0].history.grad_norms[0]) == ["1"]  # the Linear's index in the Sequential


def test_train_seeds_keeps_the_first_seeds_run_at_the_chosen_rate():
    split = make_split(standardized(_data()), n_val=15, batch_size=8)
    runs, val = train_seeds(_build, split, [0, 1], [1e-4, 1e-1], epochs=2)
    assert sorted(val) == [1e-4, 1e-1] and [r.seed for r in runs] == [0, 1]
    assert runs[0].lr == runs[1].lr == max(val, key=val.get)
    assert runs[0].history.val_accuracy[-1] == val[runs[0].lr]


def test_only_differences_beyond_the_spread_count():
    assert clearly_apart([0.80, 0.81, 0.82], [0.90, 0.91, 0.92])
    assert not clearly_apart([0.80, 0.85, 0.90], [0.84, 0.86, 0.88])
    assert pm([0.8, 0.9]) == "85.0% ± 5.0%" and pm([1.0, 3.0], percent=False) == "2 ± 1"


def test_late_gain_and_the_convergence_note():
    def run(curve):
        history = History(val_accuracy=list(curve), loss=[0.0] * len(curve))
        return type("Run", (), {"history": history})()

    assert late_gain([run([0.5, 0.6, 0.7, 0.8])]) == pytest.approx(0.2)
    assert math.isnan(late_gain([run([0.5, 0.6])]))
    assert "too short" in convergence_note({"a": float("nan")})
    assert convergence_note({"a": 0.001, "b": 0.0}).startswith("Every model has converged")
    note = convergence_note({"a": 0.001, "b": 0.03})
    assert "not convergence for b:" in note and "a," not in note
