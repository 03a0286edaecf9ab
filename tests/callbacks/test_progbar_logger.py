"""ProgbarLogger: the running mean per epoch, the timed lines off a terminal, verbose=2."""

import io

import numpy as np
import pytest

from convkit import Sequential, layers
from convkit.callbacks import ProgbarLogger, progbar_logger


class Clock:
    """A stand-in for time.perf_counter that the test advances."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(progbar_logger.time, "perf_counter", clock)
    return clock


class Terminal(io.StringIO):
    def isatty(self):
        return True


def run_epoch(logger, losses, sizes, clock=None, seconds_per_batch=0.0, epoch=1, epoch_logs=None):
    logger.on_epoch_begin(epoch)
    for batch, (loss, size) in enumerate(zip(losses, sizes)):
        logger.on_batch_begin(batch, {"size": size})
        if clock is not None:
            clock.now += seconds_per_batch
        logger.on_batch_end(batch, {"loss": loss})
    logger.on_epoch_end(epoch, epoch_logs or {})


def test_the_running_mean_then_the_validation_logs(capsys):
    logger = ProgbarLogger(epochs=3, steps=3)
    run_epoch(
        logger, [1.0, 2.0, 4.0], [4, 4, 2], epoch_logs={"loss": 2.0, "val_loss": 0.25, "val_accuracy": 0.5}
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 2/3"
    # (4 * 1 + 4 * 2 + 2 * 4) / 10 = 2: the last batch holds the 2 samples left
    assert lines[1].startswith("3/3 [==============================] - ") and " - loss: 2.0000 - " in lines[1]
    assert lines[2] == "  val_loss: 0.2500 - val_accuracy: 0.5000"
    assert len(lines) == 3


def test_off_a_terminal_a_line_at_most_every_ten_seconds(capsys, clock):
    logger = ProgbarLogger(epochs=1, steps=100)
    run_epoch(logger, [1.0] * 100, [8] * 100, clock, seconds_per_batch=0.35, epoch=0)  # 35 s in all
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/1"
    progress = lines[1:]
    # after 10.15 s (batch 29), 20.3 s (58), 30.45 s (87), then the finished line
    assert [line.split()[0] for line in progress] == ["29/100", "58/100", "87/100", "100/100"]
    assert "ETA: 25s" in progress[0] and "ms/step" in progress[-1]


def test_on_a_terminal_the_bar_is_redrawn_in_place(clock):
    stream = Terminal()
    logger = ProgbarLogger(epochs=1, steps=4, stream=stream)
    run_epoch(logger, [1.0] * 4, [2] * 4, clock, seconds_per_batch=0.2, epoch=0)
    out = stream.getvalue()
    assert out.startswith("Epoch 1/1\n") and out.count("\r") == 4 and out.endswith("\n")


def test_unknown_steps_are_shown_and_finished_at_the_epoch_end(capsys, clock):
    logger = ProgbarLogger(epochs=1, steps=None)
    run_epoch(logger, [3.0, 1.0], [2, 2], clock, seconds_per_batch=6.0, epoch=0, epoch_logs={"loss": 2.0})
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "2/Unknown - loss: 2.0000 - 0 img/s"  # the timed line (12 s): no bar, no ETA
    assert lines[2].startswith("2/Unknown - 12.0s 6000ms/step - loss: 2.0000")
    assert len(lines) == 3


def test_verbose_2_prints_one_line_per_epoch(capsys, clock):
    logger = ProgbarLogger(epochs=2, steps=3, verbose=2)
    for epoch in range(2):
        run_epoch(
            logger,
            [1.0] * 3,
            [4] * 3,
            clock,
            seconds_per_batch=20.0,
            epoch=epoch,
            epoch_logs={"loss": 1.0, "val_loss": 0.5},
        )
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"Epoch {e}/2 - 3/3 - 60.0s - 20000ms/step - loss: 1.0000 - val_loss: 0.5000 - 0 img/s"
        for e in (1, 2)
    ]


def test_fit_verbose_2(capsys):
    x = np.random.default_rng(0).standard_normal((20, 3))
    y = np.arange(20) % 2
    model = Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile(optimizer="sgd", loss="cross_entropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=8, verbose=2, validation_data=(x, y))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(" - 3/3 - " in line and "val_accuracy" in line for line in lines)


def test_bad_verbose():
    with pytest.raises(ValueError, match="verbose must be one of 1, 2. Received: verbose=3"):
        ProgbarLogger(1, 1, verbose=3)
