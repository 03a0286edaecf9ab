"""The schedules' argument checks, config round trip and step limit (no torch needed)."""

import numpy as np
import pytest

from convkit import Sequential, layers, optimizers, schedules

ALL = [
    schedules.StepLR(2),
    schedules.MultiStepLR([2, 4]),
    schedules.ExponentialLR(0.9),
    schedules.CosineAnnealingLR(10),
    schedules.OneCycleLR(0.1, 10),
    schedules.LinearLR(),
]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_config_round_trip(schedule):
    rebuilt = type(schedule)(**schedule.get_config())
    assert rebuilt.get_config() == schedule.get_config()


@pytest.mark.parametrize(
    "make, error, text",
    [
        (lambda: schedules.StepLR(0), ValueError, "step_size=0"),
        (lambda: schedules.StepLR(2.5), TypeError, "step_size=2.5"),
        (lambda: schedules.StepLR(2, interval="step"), ValueError, "interval='step'"),
        (lambda: schedules.MultiStepLR([]), ValueError, "milestones=()"),
        (lambda: schedules.ExponentialLR(-1.0), ValueError, "gamma=-1.0"),
        (lambda: schedules.CosineAnnealingLR(5, eta_min=-1.0), ValueError, "eta_min=-1.0"),
        (lambda: schedules.OneCycleLR(0.1, 10, anneal_strategy="exp"), ValueError, "anneal_strategy"),
        (lambda: schedules.OneCycleLR(0.1, 10, pct_start=1.5), ValueError, "pct_start=1.5"),
        (lambda: schedules.LinearLR(start_factor=0.0), ValueError, "start_factor=0.0"),
        (lambda: schedules.LinearLR(total_iters="5"), TypeError, "total_iters='5'"),
    ],
)
def test_bad_arguments(make, error, text):
    with pytest.raises(error, match=text.replace("(", r"\(").replace(")", r"\)")):
        make()


def _model():
    model = Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer=optimizers.SGD(lr=0.5), loss="cross_entropy")
    return model


def test_one_cycle_past_total_steps_raises():
    x, y = np.ones((4, 3)), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="total_steps=3"):
        _model().fit(x, y, epochs=5, callbacks=[schedules.OneCycleLR(0.1, 3)], verbose=0)


def test_history_records_lr_and_base_lr_is_kept_across_fits():
    x, y = np.ones((4, 3)), np.array([0, 1, 0, 1])
    model = _model()
    schedule = schedules.StepLR(1, gamma=0.5)
    history = model.fit(x, y, epochs=3, callbacks=[schedule], verbose=0)
    assert history.history["lr"] == [0.5, 0.25, 0.125]
    history = model.fit(x, y, epochs=2, callbacks=[schedule], verbose=0)
    assert history.history["lr"] == [0.5, 0.25]  # the epoch index restarts, the base rate stays


def test_no_lr_in_history_without_a_schedule():
    x, y = np.ones((4, 3)), np.array([0, 1, 0, 1])
    assert "lr" not in _model().fit(x, y, epochs=2, verbose=0).history
