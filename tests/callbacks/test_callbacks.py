"""convkit.callbacks, driven through a CallbackList by a small fit loop over a fake model, with the logs
dicts that Sequential.fit passes."""

import csv
import math
import re

import numpy as np
import pytest

from convkit.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from convkit.optimizers import SGD


class FakeModel:
    """What callbacks may use of a model: stop_training, optimizer.lr, get/set_weights, save.

    ``get_weights`` returns the live arrays (a callback that keeps weights must copy them, since the
    optimizer updates them in place); ``save`` writes the current first weight to the file.
    """

    def __init__(self, lr: float = 0.1):
        self.stop_training = False
        self.optimizer = SGD(lr=lr)
        self.weights = [np.zeros((2, 3)), np.zeros(3)]
        self.saved: list[str] = []

    def get_weights(self) -> list[np.ndarray]:
        return self.weights

    def set_weights(self, weights: list[np.ndarray]) -> None:
        for weight, new in zip(self.weights, weights):
            weight[...] = new

    def save(self, path: str) -> None:
        self.saved.append(path)
        with open(path, "w") as file:
            file.write(str(float(self.weights[0].flat[0])))


def epoch_logs(val_loss: float, loss: float = 0.5, accuracy: float = 0.8, val_accuracy: float = 0.7) -> dict:
    return {"loss": loss, "accuracy": accuracy, "val_loss": val_loss, "val_accuracy": val_accuracy}


def fit(model: FakeModel, callbacks: list[Callback], logs_per_epoch: list[dict], batch_losses=(0.5,)) -> int:
    """Sequential.fit's call pattern; one "training step" fills the weights with the epoch number.

    Returns the number of epochs run.
    """
    callback_list = CallbackList(callbacks, model=model)
    model.stop_training = False
    callback_list.on_train_begin()
    epochs_run = 0
    for epoch, logs in enumerate(logs_per_epoch):
        callback_list.on_epoch_begin(epoch)
        for batch, loss in enumerate(batch_losses):
            callback_list.on_batch_begin(batch)
            for weight in model.weights:
                weight[...] = epoch
            callback_list.on_batch_end(batch, {"loss": loss})
            if model.stop_training:
                break
        callback_list.on_epoch_end(epoch, logs)
        epochs_run += 1
        if model.stop_training:
            break
    callback_list.on_train_end()
    return epochs_run


class Recorder(Callback):
    """Records every hook call with a copy of its logs, and the learning rate at each epoch's start."""

    def __init__(self):
        super().__init__()
        self.calls: list[tuple] = []
        self.epoch_begin_lrs: list[float] = []

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin", dict(logs)))

    def on_train_end(self, logs=None):
        self.calls.append(("train_end", dict(logs)))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch, dict(logs)))
        self.epoch_begin_lrs.append(self.model.optimizer.lr)

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, dict(logs)))

    def on_batch_begin(self, batch, logs=None):
        self.calls.append(("batch_begin", batch, dict(logs)))

    def on_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch, dict(logs)))


# -- Callback, CallbackList --------------------------------------------------------------------------------
def test_callback_list_calls_every_hook_on_every_callback_in_order():
    model = FakeModel()
    first, second = Recorder(), Recorder()
    fit(model, [first, second], [epoch_logs(0.6), epoch_logs(0.5)], batch_losses=(0.9, 0.8))
    assert first.model is model and second.model is model
    expected = [("train_begin", {})]
    for epoch, val_loss in enumerate([0.6, 0.5]):
        expected.append(("epoch_begin", epoch, {}))
        for batch, loss in enumerate([0.9, 0.8]):
            expected += [("batch_begin", batch, {}), ("batch_end", batch, {"loss": loss})]
        expected.append(("epoch_end", epoch, epoch_logs(val_loss)))
    expected.append(("train_end", {}))
    assert first.calls == expected and second.calls == expected


def test_callback_list_shares_the_logs_dict_so_later_callbacks_see_additions():
    model = FakeModel(lr=0.1)
    recorder = Recorder()
    fit(model, [LearningRateScheduler(lambda epoch, lr: lr / 2), recorder], [epoch_logs(0.6)])
    assert recorder.calls[-2] == ("epoch_end", 0, {**epoch_logs(0.6), "lr": 0.05})


def test_base_callback_hooks_do_nothing_and_callback_list_rejects_other_objects():
    model = FakeModel()
    assert fit(model, [Callback()], [epoch_logs(0.6)] * 3) == 3
    assert not model.stop_training and model.saved == []
    with pytest.raises(TypeError, match="expected Callback instances"):
        CallbackList([TerminateOnNaN(), lambda logs: None], model=model)


# -- monitor and mode ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("monitor", "mode", "resolved"),
    [
        ("val_loss", "auto", "min"),
        ("val_accuracy", "auto", "max"),
        ("acc", "auto", "max"),
        ("loss", "max", "max"),
    ],
)
def test_mode_auto_is_max_for_accuracies_else_min(monitor, mode, resolved):
    for callback in (
        EarlyStopping(monitor=monitor, mode=mode),
        ModelCheckpoint("m.npz", monitor=monitor, mode=mode),
        ReduceLROnPlateau(monitor=monitor, mode=mode),
    ):
        assert callback.mode == resolved


@pytest.mark.parametrize("callback_cls", [EarlyStopping, ReduceLROnPlateau])
def test_missing_monitor_warns_with_the_available_keys_and_does_nothing(callback_cls):
    model = FakeModel()
    callback = callback_cls(monitor="val_auc", patience=0)
    with pytest.warns(RuntimeWarning, match=re.escape("'val_auc' is not in the logs")) as record:
        assert fit(model, [callback], [epoch_logs(0.6)] * 4) == 4
    assert "Available keys: loss, accuracy, val_loss, val_accuracy" in str(record[0].message)
    assert not model.stop_training and model.optimizer.lr == 0.1


# -- EarlyStopping -------------------------------------------------------------------------------------------
def test_early_stopping_stops_after_patience_epochs_without_improvement():
    model = FakeModel()
    stopper = EarlyStopping(patience=2)
    epochs_run = fit(model, [stopper], [epoch_logs(v) for v in [1.0, 0.8, 0.9, 0.85, 0.7, 0.6]])
    assert epochs_run == 4 and model.stop_training
    assert stopper.stopped_epoch == 3 and stopper.best == 0.8 and stopper.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], 3)  # the last epoch's weights are kept


def test_early_stopping_restores_the_best_weights():
    model = FakeModel()
    stopper = EarlyStopping(patience=2, restore_best_weights=True)
    assert fit(model, [stopper], [epoch_logs(v) for v in [1.0, 0.8, 0.9, 0.85, 0.7]]) == 4
    for weight in model.weights:
        np.testing.assert_array_equal(weight, 1)  # epoch 1's, although they were changed in place since


def test_early_stopping_restores_the_first_epoch_when_nothing_improved():
    model = FakeModel()
    stopper = EarlyStopping(monitor="val_accuracy", patience=1, restore_best_weights=True)
    logs = [epoch_logs(0.5, val_accuracy=v) for v in [0.9, 0.8, 0.85]]
    assert fit(model, [stopper], logs) == 2
    np.testing.assert_array_equal(model.weights[0], 0)


def test_early_stopping_does_not_restore_when_training_runs_to_the_end():
    model = FakeModel()
    stopper = EarlyStopping(patience=5, restore_best_weights=True)
    assert fit(model, [stopper], [epoch_logs(v) for v in [1.0, 0.5, 0.9]]) == 3
    assert not model.stop_training and stopper.stopped_epoch == 0
    np.testing.assert_array_equal(model.weights[0], 2)


def test_early_stopping_with_zero_patience_stops_at_the_first_non_improvement():
    model = FakeModel()
    assert fit(model, [EarlyStopping()], [epoch_logs(v) for v in [1.0, 0.9, 0.95, 0.5]]) == 3


def test_early_stopping_counts_only_improvements_larger_than_min_delta():
    model = FakeModel()
    stopper = EarlyStopping(min_delta=0.05, patience=2)
    assert fit(model, [stopper], [epoch_logs(v) for v in [1.0, 0.97, 0.96, 0.8]]) == 3
    assert stopper.best == 1.0


def test_early_stopping_max_mode_on_accuracy():
    model = FakeModel()
    stopper = EarlyStopping(monitor="val_accuracy", patience=1)
    logs = [epoch_logs(0.5, val_accuracy=v) for v in [0.5, 0.6, 0.7, 0.65, 0.9]]
    assert fit(model, [stopper], logs) == 4
    assert stopper.best == 0.7 and stopper.best_epoch == 2


def test_early_stopping_starts_afresh_on_each_fit():
    model = FakeModel()
    stopper = EarlyStopping(patience=1)
    assert fit(model, [stopper], [epoch_logs(v) for v in [0.5, 0.6, 0.7]]) == 2
    assert fit(model, [stopper], [epoch_logs(v) for v in [0.9, 0.8, 0.7]]) == 3
    assert stopper.best == 0.7 and stopper.stopped_epoch == 0


# -- ModelCheckpoint -----------------------------------------------------------------------------------------
def test_model_checkpoint_saves_every_epoch_with_the_formatted_name(tmp_path):
    model = FakeModel()
    filepath = tmp_path / "ckpt" / "model-{epoch:02d}-{val_loss:.4f}.npz"
    fit(model, [ModelCheckpoint(filepath)], [epoch_logs(v) for v in [0.6, 0.7, 0.55]])
    names = ["model-01-0.6000.npz", "model-02-0.7000.npz", "model-03-0.5500.npz"]
    assert model.saved == [str(tmp_path / "ckpt" / name) for name in names]
    assert sorted(path.name for path in (tmp_path / "ckpt").iterdir()) == sorted(names)


def test_model_checkpoint_save_best_only_writes_only_on_improvement(tmp_path):
    model = FakeModel()
    checkpoint = ModelCheckpoint(str(tmp_path / "best-{epoch}.npz"), save_best_only=True)
    fit(model, [checkpoint], [epoch_logs(v) for v in [0.6, 0.7, 0.5, 0.5, 0.55]])
    assert model.saved == [str(tmp_path / "best-1.npz"), str(tmp_path / "best-3.npz")]
    assert (tmp_path / "best-3.npz").read_text() == "2.0"  # the weights of epoch index 2
    assert checkpoint.best == 0.5


def test_model_checkpoint_best_value_carries_over_to_the_next_fit(tmp_path):
    model = FakeModel()
    checkpoint = ModelCheckpoint(tmp_path / "best.npz", save_best_only=True)
    fit(model, [checkpoint], [epoch_logs(v) for v in [0.6, 0.4]])
    fit(model, [checkpoint], [epoch_logs(v) for v in [0.7, 0.5, 0.3]])
    assert len(model.saved) == 3 and (tmp_path / "best.npz").read_text() == "2.0"


def test_model_checkpoint_save_best_only_to_one_file_in_max_mode(tmp_path):
    model = FakeModel()
    path = tmp_path / "best.npz"
    checkpoint = ModelCheckpoint(path, monitor="val_accuracy", save_best_only=True)
    logs = [epoch_logs(0.5, val_accuracy=v) for v in [0.6, 0.8, 0.7, 0.75]]
    fit(model, [checkpoint], logs)
    assert model.saved == [str(path), str(path)]
    assert path.read_text() == "1.0"


def test_model_checkpoint_save_best_only_without_the_monitor_warns_and_saves_nothing(tmp_path):
    model = FakeModel()
    checkpoint = ModelCheckpoint(tmp_path / "m.npz", monitor="val_auc", save_best_only=True)
    with pytest.warns(RuntimeWarning, match="Available keys: loss, accuracy, val_loss, val_accuracy"):
        fit(model, [checkpoint], [epoch_logs(0.5)])
    assert model.saved == []


def test_model_checkpoint_unknown_placeholder_names_the_available_keys(tmp_path):
    checkpoint = ModelCheckpoint(tmp_path / "m-{val_auc:.2f}.npz")
    with pytest.raises(KeyError, match="no logs key 'val_auc'. Available keys: epoch, loss, accuracy"):
        fit(FakeModel(), [checkpoint], [epoch_logs(0.5)])


# -- learning-rate schedules ---------------------------------------------------------------------------------
def test_learning_rate_scheduler_sets_lr_at_epoch_begin_and_records_it():
    model = FakeModel(lr=0.1)
    received = []

    def schedule(epoch, lr):
        received.append((epoch, lr))
        return lr if epoch == 0 else lr * 0.5

    recorder = Recorder()
    fit(model, [LearningRateScheduler(schedule), recorder], [epoch_logs(0.5)] * 4)
    assert received == [(0, 0.1), (1, 0.1), (2, 0.05), (3, 0.025)]
    assert recorder.epoch_begin_lrs == [0.1, 0.05, 0.025, 0.0125]
    assert [logs["lr"] for name, *_, logs in recorder.calls if name == "epoch_end"] == [
        0.1,
        0.05,
        0.025,
        0.0125,
    ]
    assert model.optimizer.lr == 0.0125


def test_learning_rate_scheduler_changes_the_step_the_optimizer_takes():
    model = FakeModel(lr=0.1)
    scheduler = LearningRateScheduler(lambda epoch, lr: 0.01 * (epoch + 1))
    scheduler.set_model(model)
    param = np.zeros(1)
    for epoch in range(3):
        scheduler.on_epoch_begin(epoch, {})
        model.optimizer.apply_gradients([("w", param, np.ones(1))])
    np.testing.assert_allclose(param, [-(0.01 + 0.02 + 0.03)])


def test_learning_rate_scheduler_rejects_bad_schedules():
    with pytest.raises(TypeError, match="schedule must be callable"):
        LearningRateScheduler(0.1)
    model = FakeModel()
    with pytest.raises(
        ValueError, match=re.escape("schedule must return a float. Received: None at epoch 0")
    ):
        fit(model, [LearningRateScheduler(lambda epoch, lr: None)], [epoch_logs(0.5)])
    with pytest.raises(
        ValueError, match=re.escape("SGD: lr must be a non-negative float. Received: lr=-0.1")
    ):
        fit(model, [LearningRateScheduler(lambda epoch, lr: -0.1)], [epoch_logs(0.5)])


def test_reduce_lr_on_plateau_with_patience_cooldown_and_min_lr():
    model = FakeModel(lr=0.1)
    reducer = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.02)
    recorder = Recorder()
    fit(model, [reducer, recorder], [epoch_logs(v) for v in [1.0, 0.9] + [0.9] * 8])
    used = [logs["lr"] for name, *_, logs in recorder.calls if name == "epoch_end"]
    # reductions at the end of epochs 3, 5 and 7 (two epochs without improvement, one epoch of cooldown);
    # the last one is clipped to min_lr, after which the rate stays
    assert used == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02])
    assert model.optimizer.lr == 0.02


def test_reduce_lr_on_plateau_improvements_reset_the_wait():
    model = FakeModel(lr=0.1)
    reducer = ReduceLROnPlateau(monitor="val_accuracy", factor=0.1, patience=2)
    logs = [epoch_logs(0.5, val_accuracy=v) for v in [0.5, 0.5, 0.6, 0.6, 0.7, 0.7, 0.7]]
    fit(model, [reducer], logs)
    assert model.optimizer.lr == pytest.approx(0.01)  # only epochs 5 and 6 form a plateau of two


def test_reduce_lr_on_plateau_ignores_changes_below_min_delta():
    model = FakeModel(lr=0.1)
    fit(
        model,
        [ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.01)],
        [epoch_logs(v) for v in [1.0, 0.995]],
    )
    assert model.optimizer.lr == pytest.approx(0.05)


# -- TerminateOnNaN ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad_loss", [math.nan, math.inf, -math.inf, np.float32("nan")])
def test_terminate_on_nan_stops_at_the_first_bad_batch(bad_loss):
    model = FakeModel()
    recorder = Recorder()
    with pytest.warns(RuntimeWarning, match="TerminateOnNaN: batch 1 has loss"):
        epochs_run = fit(
            model, [TerminateOnNaN(), recorder], [epoch_logs(0.5)] * 3, batch_losses=(0.5, bad_loss, 0.4)
        )
    assert model.stop_training and epochs_run == 1
    assert [call[1] for call in recorder.calls if call[0] == "batch_end"] == [0, 1]


def test_terminate_on_nan_lets_finite_losses_train():
    model = FakeModel()
    assert fit(model, [TerminateOnNaN()], [epoch_logs(0.5)] * 3, batch_losses=(1e30, 0.0, -1.0)) == 3
    callback = TerminateOnNaN()
    callback.set_model(model)
    callback.on_batch_end(0, {"accuracy": 0.5})
    callback.on_batch_end(1)
    assert not model.stop_training


# -- CSVLogger -----------------------------------------------------------------------------------------------
def test_csv_logger_writes_the_header_once_and_a_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    fit(FakeModel(), [CSVLogger(path)], [epoch_logs(0.6), epoch_logs(0.55, loss=0.4)])
    assert path.read_text().splitlines() == [
        "epoch,accuracy,loss,val_accuracy,val_loss",
        "0,0.8,0.5,0.7,0.6",
        "1,0.8,0.4,0.7,0.55",
    ]


def test_csv_logger_append_continues_without_a_second_header(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path, separator=";", append=True)
    fit(FakeModel(), [logger], [epoch_logs(0.6)])
    fit(FakeModel(), [logger], [epoch_logs(0.5), epoch_logs(0.4)])
    with open(path, newline="") as file:
        rows = list(csv.reader(file, delimiter=";"))
    assert rows == [
        ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"],
        ["0", "0.8", "0.5", "0.7", "0.6"],
        ["0", "0.8", "0.5", "0.7", "0.5"],
        ["1", "0.8", "0.5", "0.7", "0.4"],
    ]


def test_csv_logger_without_append_overwrites(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("old content\n")
    logger = CSVLogger(path)
    fit(FakeModel(), [logger], [epoch_logs(0.6)])
    fit(FakeModel(), [logger], [epoch_logs(0.3)])
    assert path.read_text().splitlines() == ["epoch,accuracy,loss,val_accuracy,val_loss", "0,0.8,0.5,0.7,0.3"]


def test_csv_logger_rows_reach_the_file_each_epoch_and_missing_keys_are_na(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    logger.set_model(FakeModel())
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.6})
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,0.5,0.6"]
    logger.on_epoch_end(1, {"loss": np.float32(0.25), "accuracy": 0.9})
    logger.on_train_end()
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,0.5,0.6", "1,0.25,NA"]


# -- argument checks -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: EarlyStopping(patience=-1),
            ValueError,
            "EarlyStopping: patience must be a non-negative int.",
        ),
        (lambda: EarlyStopping(patience=1.5), TypeError, "Received: patience=1.5"),
        (
            lambda: EarlyStopping(mode="best"),
            ValueError,
            "mode must be 'auto', 'min' or 'max'. Received: mode='best'",
        ),
        (lambda: EarlyStopping(min_delta=-0.1), ValueError, "min_delta must be a non-negative float."),
        (lambda: EarlyStopping(monitor=None), TypeError, "monitor must be the name of a logs key"),
        (lambda: ModelCheckpoint(None), TypeError, "ModelCheckpoint: filepath must be a str or a path."),
        (lambda: ModelCheckpoint("m.npz", mode="lowest"), ValueError, "ModelCheckpoint: mode must be"),
        (
            lambda: ReduceLROnPlateau(factor=1.0),
            ValueError,
            "factor must be a float in [0.0, 1.0). Received: factor=1.0",
        ),
        (lambda: ReduceLROnPlateau(cooldown=-2), ValueError, "cooldown must be a non-negative int."),
        (lambda: ReduceLROnPlateau(min_lr=-1e-5), ValueError, "min_lr must be a non-negative float."),
        (lambda: CSVLogger("log.csv", separator=", "), ValueError, "separator must be one character."),
        (lambda: CSVLogger(3), TypeError, "CSVLogger: filename must be a str or a path."),
    ],
)
def test_bad_arguments(build, error, message):
    with pytest.raises(error, match=re.escape(message)):
        build()
