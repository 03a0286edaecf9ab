"""The equal-budget comparison protocol: data split, failed-seed retries, convergence and the verdict."""

import pytest

pytest.importorskip("torch")

from torch import nn  # noqa: E402

from studies import StudyContext, comparison  # noqa: E402
from studies.comparison import Schedule, SeedRun, VariantResult  # noqa: E402
from torch_models.train import History  # noqa: E402

SCHEDULE = Schedule(epochs=4, decay_epochs=1, lr=1e-2)


def _run(test_accuracy: float, val_curve=(0.5, 0.8, 0.8, 0.8), seed: int = 0, lr: float = 1e-2) -> SeedRun:
    history = History(val_accuracy=list(val_curve), accuracy=list(val_curve), loss=[1.0] * len(val_curve))
    return SeedRun(seed, lr, nn.Identity(), history, test_accuracy)


def _variant(name: str, accuracies, val_curve=(0.5, 0.8, 0.8, 0.8)) -> VariantResult:
    runs = [_run(a, val_curve, seed) for seed, a in enumerate(accuracies)]
    return VariantResult(name, 1000, runs, [])


def test_comparison_data_holds_out_validation_from_the_training_split(tmp_path):
    ctx = StudyContext(mode="tiny", out_dir=tmp_path)
    data = comparison.comparison_data(ctx, n_train=96, n_val=32, n_test=None, batch_size=16)
    assert data.data.x_train.shape == (96, 1, 28, 28) and len(data.train_set) == 96
    assert data.n_val == len(data.val.dataset) == 32 and len(data.test.dataset) == len(data.data.x_test)
    assert "96 train / 32 validation" in data.data.name and data.num_classes == 10


def test_a_gap_within_the_spread_is_a_tie_and_beyond_it_a_win():
    best = _variant("a", [0.90, 0.91, 0.92])  # std 0.0082
    close = _variant("b", [0.89, 0.90, 0.91])
    far = _variant("c", [0.80, 0.81, 0.82])
    text = comparison.verdict([close, best, far])
    assert text.startswith("a has the best mean test accuracy, 91.0% ± 0.8%.")
    assert "ahead of c by 10.0 points" in text and "Against b by 1.0 points" in text and "tie" in text
    assert comparison.headline([close, best, far]).endswith("; tie within the spread with b")
    assert comparison.headline([best, far]).endswith("; ahead of all")


def test_a_curve_still_rising_at_the_end_is_not_converged():
    flat = _variant("flat", [0.9], val_curve=(0.5, 0.8, 0.801, 0.802))
    rising = _variant("rising", [0.9], val_curve=(0.5, 0.6, 0.7, 0.8))
    assert not flat.still_improving and rising.still_improving
    assert comparison.convergence([flat], SCHEDULE).startswith("Equal budget and converged coincide")
    text = comparison.convergence([flat, rising], SCHEDULE)
    assert text.startswith("Equal budget is not converged for rising:") and "rising +20.0%" in text


def test_a_failed_seed_is_retrained_at_a_lower_rate_and_reported(monkeypatch):
    def fake_train_run(build, data, schedule, seed, lr, device):
        failing = seed == 1 and lr == schedule.lr
        return _run(0.1 if failing else 0.9, (0.1,) * 4 if failing else (0.9,) * 4, seed, lr)

    monkeypatch.setattr(comparison, "train_run", fake_train_run)
    data = type("Data", (), {"num_classes": 10})()
    result = comparison.train_variant("v", nn.Identity, data, SCHEDULE, [0, 1, 2], "cpu")
    assert [run.lr for run in result.runs] == [1e-2, 1e-2 * comparison.RETRY_LR_FACTOR, 1e-2]
    assert [run.seed for run in result.failures] == [1] and result.mean == pytest.approx(0.9)
    note = comparison.failure_notes([result], 10)
    assert note.startswith("Failed runs: v, seed 1: validation accuracy 10.0%") and "lr 0.0025" in note
    assert comparison.failure_notes([_variant("ok", [0.9])], 10).startswith("No run failed")
