"""A training step's threads on a busy machine (convkit._threads.training_step_threads): the free cores
when other processes hold the rest, all threads otherwise, the same trained weights either way."""

import numpy as np
import pytest

import convkit
from convkit import _threads

needs_openmp = pytest.mark.skipif(not convkit._kernels.openmp_enabled(), reason="without OpenMP: 1 thread")


@pytest.fixture
def machine(monkeypatch, restore_threads):
    """A fake 4-core machine whose runnable tasks (machine-wide, and this process's) the test sets."""
    tasks = {"runnable": 1, "own": 1}
    monkeypatch.setattr(_threads, "_cores", lambda: 4)
    monkeypatch.setattr(_threads, "_runnable_tasks", lambda: tasks["runnable"])
    monkeypatch.setattr(_threads, "_own_running_threads", lambda: tasks["own"])
    monkeypatch.setattr(_threads, "_adapt_to_load", True)
    monkeypatch.setattr(_threads, "_reading", None)
    monkeypatch.setattr(_threads, "READING_LIFETIME", 0.0)  # every step reads the load
    convkit.set_num_threads(4)
    return tasks


@needs_openmp
@pytest.mark.parametrize(
    ("runnable", "own", "inside"),
    [
        (1, 1, 4),  # an idle machine
        (4, 4, 4),  # our own 4 threads
        (5, 1, 1),  # 4 other busy processes: one core left, at least
        (3, 1, 2),  # 2 others: 2 cores free
        (6, 4, 2),  # 2 others beside our 4 threads
        (9, 1, 1),  # more others than cores
    ],
)
def test_a_step_runs_on_the_free_cores(machine, runnable, own, inside):
    machine.update(runnable=runnable, own=own)
    with _threads.training_step_threads():
        assert convkit.get_num_threads() == inside
    assert convkit.get_num_threads() == 4  # outside a training step: as set


@needs_openmp
def test_no_adaptation_when_turned_off_or_unreadable(machine, monkeypatch):
    machine.update(runnable=9, own=1)
    convkit.set_adapt_to_load(False)
    with _threads.training_step_threads():
        assert convkit.get_num_threads() == 4
    convkit.set_adapt_to_load(True)
    monkeypatch.setattr(_threads, "_runnable_tasks", lambda: None)  # no /proc/loadavg
    with _threads.training_step_threads():
        assert convkit.get_num_threads() == 4


@needs_openmp
def test_a_reading_serves_the_steps_of_its_lifetime(machine, monkeypatch):
    monkeypatch.setattr(_threads, "READING_LIFETIME", 3600.0)
    machine.update(runnable=9, own=1)
    with _threads.training_step_threads():
        assert convkit.get_num_threads() == 1
    machine.update(runnable=1)  # the load is gone, but the last reading is still fresh
    with _threads.training_step_threads():
        assert convkit.get_num_threads() == 1
    monkeypatch.setattr(_threads, "READING_LIFETIME", 0.0)
    with _threads.training_step_threads():
        assert convkit.get_num_threads() == 4


@needs_openmp
def test_a_reading_limits_a_thread_count_set_after_it(machine, monkeypatch):
    """The reading keeps the free cores, not a limit for the thread count of its time: 1 free core read
    while 1 thread was set still limits the 4 threads set next (they would wait for each other)."""
    monkeypatch.setattr(_threads, "READING_LIFETIME", 3600.0)
    machine.update(runnable=9, own=1)
    convkit.set_num_threads(1)
    with _threads.training_step_threads():
        assert convkit.get_num_threads() == 1
    convkit.set_num_threads(4)
    with _threads.training_step_threads():
        assert convkit.get_num_threads() == 1


def test_the_real_readings_are_counts():
    running = _threads._runnable_tasks()
    assert running is None or running >= 1
    assert _threads._own_running_threads() >= 1


def test_set_adapt_to_load_takes_a_bool():
    with pytest.raises(TypeError, match="set_adapt_to_load: enabled must be a bool. Received: enabled=1"):
        convkit.set_adapt_to_load(1)


def _trained_weights():
    model = convkit.models.lenet()
    model.compile(optimizer="adam", loss="cross_entropy")
    model.build((1, 28, 28), seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((256, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 256)
    model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False)
    return model.get_weights()


@needs_openmp
def test_the_same_weights_on_a_busy_machine(machine):
    quiet = _trained_weights()
    machine.update(runnable=8, own=1)  # every step on 1 thread
    seen = []
    original = _threads._free_cores

    def recorded_free_cores():
        seen.append(original())
        return seen[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_threads, "_free_cores", recorded_free_cores)
        busy = _trained_weights()
    assert seen and all(free == 1 for free in seen)
    for a, b in zip(quiet, busy):
        np.testing.assert_array_equal(a, b)
