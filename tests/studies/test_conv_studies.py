"""The convolutional studies: ThreeLayerConvNet's overfit verdict, LeNet's plain headline beside the
published rows, and convkit vs PyTorch on the same weights and batches with disciplined timings."""

from __future__ import annotations

import re

import numpy as np
import pytest

from studies import StudyContext, get_study
from studies.data import StudyData, fashion_mnist_roots
from studies.published import PUBLISHED_README

ON_FASHION_MNIST = bool(fashion_mnist_roots(None))


def run_tiny(name: str, tmp_path) -> tuple[object, str]:
    report = get_study(name).run(StudyContext(mode="tiny", seed=0, out_dir=tmp_path))
    return report, (report.save() / "README.md").read_text()


def assert_wording_follows_the_data(readme: str) -> None:
    if ON_FASHION_MNIST:
        assert "Fashion-MNIST" in readme
        without_name = readme.replace("Fashion-MNIST", "")
        assert not re.search(r"MNIST|[Dd]igit|[Hh]andwritten", without_name)  # case: the path says mnist


def test_overfit_verdict_says_passed_or_failed():
    from studies.three_layer_convnet import OVERFIT_PASS, overfit_verdict

    assert overfit_verdict(1.0) == "overfit check passed: 100.0% train"
    assert overfit_verdict(OVERFIT_PASS) == f"overfit check passed: {OVERFIT_PASS:.1%} train"
    assert overfit_verdict(0.9) == "overfit check FAILED: 90.0% train"


def test_three_layer_convnet_report_states_the_verdict(tmp_path):
    report, readme = run_tiny("three_layer_convnet", tmp_path)
    verdict = re.match(r"overfit check (passed|FAILED): (\d+\.\d)% train", report.headline)
    assert verdict, report.headline
    assert f"**The {verdict.group(0)}**" in readme  # stated plainly in the text, not only the headline
    assert "full training test accuracy" in report.headline and "## Data" in readme
    assert_wording_follows_the_data(readme)


def test_lenet_headline_is_the_plain_lenet_and_the_recipe_a_second_row(tmp_path):
    report, readme = run_tiny("lenet", tmp_path)
    plain = re.match(r"plain LeNet test accuracy (\d+\.\d)% after \d+ epochs \(demo recipe", report.headline)
    assert plain, report.headline
    rows = [line for line in readme.splitlines() if line.startswith(("| LeNet (plain) |", "| LeNet (demo"))]
    assert any(f"| {float(plain.group(1)) / 100:.4g} |" in row for row in rows[:1])  # plain's final test
    assert len(rows) >= 2 and rows[1].startswith("| LeNet (demo recipe) |")
    if ON_FASHION_MNIST and PUBLISHED_README.is_file():
        assert f"| LeNet (plain) | {plain.group(1)}% | 2 Conv+pooling | None | 87.6% |" in readme
        assert "| 2 Conv+pooling | None | 91.6% |" in readme
    assert_wording_follows_the_data(readme)


def test_lenet_confusion_matrix_counts_true_rows_and_predicted_columns():
    from studies.lenet import confusion_matrix

    cm = confusion_matrix(np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 2, 0]), 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 1]])


def test_both_frameworks_follow_the_same_trajectory():
    torch = pytest.importorskip("torch")
    from convkit import models
    from convkit.interop import to_torch
    from studies.convkit_vs_torch import (
        batches,
        convkit_predict,
        convkit_step,
        epoch_orders,
        torch_predict,
        torch_step,
        train,
    )

    rng = np.random.default_rng(0)
    data = StudyData(
        "random",
        rng.random((96, 1, 28, 28), dtype=np.float32),
        rng.integers(0, 10, 96),
        rng.random((40, 1, 28, 28), dtype=np.float32),
        rng.integers(0, 10, 40),
    )
    orders = epoch_orders(len(data.x_train), 2, seed=1)
    assert all(sorted(np.concatenate(batches(order))) == list(range(96)) for order in orders)
    assert not np.array_equal(orders[0], orders[1])
    model = models.lenet()
    model.build(seed=0)
    module = to_torch(model)
    ck = train(convkit_step(model), lambda x: convkit_predict(model, x), data, orders)
    th = train(torch_step(torch, module), lambda x: torch_predict(torch, module, x), data, orders)
    assert len(ck["train"]) == len(ck["test"]) == 2
    np.testing.assert_allclose(ck["train"], th["train"], atol=1 / 96 + 1e-9)
    gap = np.abs(convkit_predict(model, data.x_test) - torch_predict(torch, module, data.x_test)).max()
    assert gap < 1e-3  # a few Adamax steps from the same weights stay together


def test_convkit_vs_torch_report_times_with_conditions_and_no_bare_ratio(tmp_path):
    pytest.importorskip("torch")
    report, readme = run_tiny("convkit_vs_torch", tmp_path)
    assert not re.search(r"\d\s*x\b|times (faster|slower)", report.headline), report.headline
    assert "(conditions in the report)" in report.headline
    timing_rows = [
        line for line in readme.splitlines() if re.match(r"\| (convkit|PyTorch) \| (training|inf)", line)
    ]
    assert len(timing_rows) == 4
    for row in timing_rows:
        assert "median of" in row and re.search(r"convkit \d+ threads?", row) and "load average" in row
    assert_wording_follows_the_data(readme)
