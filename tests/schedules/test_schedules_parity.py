"""Every schedule's learning rates, step for step, against torch.optim.lr_scheduler (both intervals)."""

import numpy as np
import pytest

from convkit import Sequential, layers, optimizers, schedules
from convkit.callbacks import Callback

torch = pytest.importorskip("torch", reason="the schedules are compared with torch.optim.lr_scheduler")

BASE_LR = 0.1
STEPS = 60

# (convkit factory, torch factory) for the same arguments
CASES = {
    "StepLR": (
        lambda **kw: schedules.StepLR(7, gamma=0.5, **kw),
        lambda opt: torch.optim.lr_scheduler.StepLR(opt, 7, gamma=0.5),
    ),
    "StepLR-default": (
        lambda **kw: schedules.StepLR(3, **kw),
        lambda opt: torch.optim.lr_scheduler.StepLR(opt, 3),
    ),
    "MultiStepLR": (
        lambda **kw: schedules.MultiStepLR([30, 5, 12, 12], gamma=0.3, **kw),
        lambda opt: torch.optim.lr_scheduler.MultiStepLR(opt, [30, 5, 12, 12], gamma=0.3),
    ),
    "ExponentialLR": (
        lambda **kw: schedules.ExponentialLR(0.93, **kw),
        lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, 0.93),
    ),
    "CosineAnnealingLR": (
        lambda **kw: schedules.CosineAnnealingLR(25, eta_min=1e-3, **kw),
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, 25, eta_min=1e-3),
    ),
    "CosineAnnealingLR-default": (
        lambda **kw: schedules.CosineAnnealingLR(STEPS, **kw),
        lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, STEPS),
    ),
    "OneCycleLR": (
        lambda **kw: schedules.OneCycleLR(0.4, total_steps=STEPS, **kw),
        lambda opt: torch.optim.lr_scheduler.OneCycleLR(opt, 0.4, total_steps=STEPS, cycle_momentum=False),
    ),
    "OneCycleLR-linear-three-phase": (
        lambda **kw: schedules.OneCycleLR(
            0.4,
            STEPS,
            pct_start=0.25,
            anneal_strategy="linear",
            div_factor=10.0,
            final_div_factor=100.0,
            three_phase=True,
            **kw,
        ),
        lambda opt: torch.optim.lr_scheduler.OneCycleLR(
            opt,
            0.4,
            total_steps=STEPS,
            pct_start=0.25,
            anneal_strategy="linear",
            div_factor=10.0,
            final_div_factor=100.0,
            three_phase=True,
            cycle_momentum=False,
        ),
    ),
    "LinearLR": (
        lambda **kw: schedules.LinearLR(**kw),
        lambda opt: torch.optim.lr_scheduler.LinearLR(opt),
    ),
    "LinearLR-args": (
        lambda **kw: schedules.LinearLR(0.1, 0.6, 17, **kw),
        lambda opt: torch.optim.lr_scheduler.LinearLR(opt, 0.1, 0.6, 17),
    ),
}


def torch_lrs(make_scheduler, steps: int) -> list[float]:
    """torch's lr before each of ``steps`` optimizer steps (``scheduler.step()`` after each)."""
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([param], lr=BASE_LR)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


class RecordLR(Callback):
    """The optimizer's lr at each training step (runs after the schedule)."""

    def __init__(self):
        super().__init__()
        self.lrs = []

    def on_batch_begin(self, batch, logs=None):
        self.lrs.append(self.model.optimizer.lr)


def convkit_lrs(schedule, epochs: int, batches_per_epoch: int):
    x = np.random.default_rng(0).standard_normal((4 * batches_per_epoch, 3))
    y = np.arange(len(x)) % 2
    model = Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer=optimizers.SGD(lr=BASE_LR), loss="cross_entropy")
    record = RecordLR()
    history = model.fit(
        x, y, batch_size=4, epochs=epochs, shuffle=False, callbacks=[schedule, record], verbose=0, seed=0
    )
    return record.lrs, history.history["lr"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_epoch_interval_matches_torch(name):
    make, make_torch = CASES[name]
    expected = torch_lrs(make_torch, STEPS)
    lrs, recorded = convkit_lrs(make(), epochs=STEPS, batches_per_epoch=1)
    np.testing.assert_allclose(lrs, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(recorded, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_batch_interval_matches_torch(name):
    make, make_torch = CASES[name]
    expected = torch_lrs(make_torch, STEPS)
    lrs, recorded = convkit_lrs(make(interval="batch"), epochs=6, batches_per_epoch=10)
    np.testing.assert_allclose(lrs, expected, rtol=0, atol=1e-12)
    # history records the rate in use at each epoch's end: that of its last batch
    np.testing.assert_allclose(recorded, expected[9::10], rtol=0, atol=1e-12)
