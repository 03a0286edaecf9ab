"""The fully connected studies (Lab A): their helpers, the dropout conventions and the reports' wording."""

from __future__ import annotations

import re

import numpy as np
import pytest

from convkit import models, optimizers
from studies import StudyContext, get_study
from studies.batchnorm import batch_mean_noise, batch_statistics_predictions
from studies.data import fashion_mnist_roots
from studies.dropout import CONFIGS
from studies.inference_accuracy import InferenceTrainAccuracy
from studies.seed_stats import Spread, ranking, tied
from studies.six_layer_net import train_over_seeds

FC_STUDIES = ("two_layer_net", "sgd_momentum", "update_rules", "best_fc_net", "batchnorm", "dropout")


def test_spread_is_mean_and_sample_std():
    spread = Spread.of([0.80, 0.82, 0.84])
    assert spread.mean == pytest.approx(0.82) and spread.std == pytest.approx(0.02) and spread.n == 3
    assert spread.percent() == "82.0% ± 2.0"
    assert Spread.of([0.5]).std == 0.0


def test_a_difference_within_the_spread_is_a_tie():
    assert tied(Spread(0.88, 0.01, 3), Spread(0.87, 0.005, 3))
    assert not tied(Spread(0.88, 0.002, 3), Spread(0.87, 0.003, 3))


def test_ranking_names_only_the_differences_beyond_the_spread():
    spreads = {"b": Spread(0.86, 0.007, 3), "a": Spread(0.881, 0.003, 3), "c": Spread(0.872, 0.009, 3)}
    text = ranking(spreads, lambda s: s.percent())
    assert (
        text == "a 88.1% ± 0.3, c 87.2% ± 0.9, b 86.0% ± 0.7; beyond the spread: a > b; "
        "the other differences are ties"
    )
    lowest_first = ranking(
        {"x": Spread(0.4, 0.01, 3), "y": Spread(0.2, 0.01, 3)}, str, higher_is_better=False
    )
    assert lowest_first.startswith("y ") and lowest_first.endswith("every difference exceeds the spread")


def test_inference_train_accuracy_is_measured_with_dropout_off():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(200, 20)).astype(np.float32), rng.integers(0, 3, 200)
    model = models.fully_connected_net([64], num_classes=3, input_dim=20, dropout=0.9)
    model.compile(optimizers.Adam(lr=1e-2), loss="cross_entropy", metrics=["accuracy"])
    history = model.fit(
        x, y, batch_size=50, epochs=3, callbacks=[InferenceTrainAccuracy(x, y)], seed=0, verbose=0
    )
    measured = history.history["inference_accuracy"]
    assert len(measured) == 3
    assert measured[-1] == model.evaluate(x, y, verbose=0)["accuracy"]
    assert (
        measured[-1] > history.history["accuracy"][-1]
    )  # dropping 90% of the units hurts the running accuracy


def test_dropout_runs_the_labs_keep_probability_and_the_other_reading():
    # convkit's rate is the probability of dropping a unit; the lab's 0.25 is CS231n's keep probability
    assert CONFIGS == {"no dropout": 0.0, "keep 0.25 (drop 0.75)": 0.75, "drop 0.25 (keep 0.75)": 0.25}
    assert "keep 0.25 / drop 0.25" in get_study("dropout").TITLE


def test_batch_statistics_leave_the_running_statistics_alone():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(120, 10)).astype(np.float32), rng.integers(0, 2, 120)
    model = models.fully_connected_net([16], num_classes=2, input_dim=10, normalization="batchnorm")
    model.compile(optimizers.Adam(lr=1e-2), loss="cross_entropy")
    model.fit(x, y, batch_size=20, epochs=2, seed=0, verbose=0)
    before = [w.copy() for w in model.get_weights()]
    index, predicted = batch_statistics_predictions(model, x, 50, seed=0)
    assert len(index) == len(predicted) == 100 and len(set(index.tolist())) == 100  # two full batches
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    single = batch_statistics_predictions(model, x[:1].repeat(4, axis=0), 4, seed=0)[1]
    assert np.ptp(single) == 0  # identical images in one batch get identical outputs


def test_batch_mean_noise_shrinks_as_one_over_the_root_of_the_batch_size():
    x = np.random.default_rng(0).normal(size=(8000, 30)).astype(np.float32)
    model = models.fully_connected_net([40], num_classes=2, input_dim=30)
    model.build((30,), seed=0)
    assert batch_mean_noise(model, x, 4, seed=0) == pytest.approx(0.5, rel=0.1)
    assert batch_mean_noise(model, x, 100, seed=0) == pytest.approx(0.1, rel=0.25)


def test_every_rule_starts_from_the_same_weights_for_a_seed():
    rng = np.random.default_rng(0)
    x, y = rng.random((60, 784), dtype=np.float32), rng.integers(0, 10, 60)
    split = (x[:40], y[:40], x[40:], y[40:])
    make = lambda: optimizers.SGD(lr=1e-2)  # noqa: E731
    results = train_over_seeds({"a": make, "b": make}, split, 10, epochs=2, batch_size=20, seeds=[3, 4])
    assert [len(run.batch_losses) for run in results["a"]] == [4, 4]
    assert results["a"][0].batch_losses == results["b"][0].batch_losses
    assert results["a"][0].batch_losses != results["a"][1].batch_losses


@pytest.mark.skipif(not fashion_mnist_roots(None), reason="Fashion-MNIST is not installed (make data)")
@pytest.mark.parametrize("name", FC_STUDIES)
def test_reports_on_fashion_mnist_speak_of_clothing_not_digits(name, tmp_path):
    study = get_study(name)
    assert study.LAB_ITEM.startswith("Lab A, item ")
    readme = (study.run(StudyContext(mode="tiny", out_dir=tmp_path)).save() / "README.md").read_text()
    assert "## Data\n\nFashion-MNIST" in readme
    for wrong in (r"\bdigits?\b", r"handwritten", r"(?<!Fashion-)MNIST", r"lab bar"):
        assert not re.search(wrong, readme, re.IGNORECASE), (name, wrong)
    if name != "sgd_momentum":  # it says why the lab's weight scale, sized for CIFAR-10, is not used
        assert "CIFAR" not in readme
