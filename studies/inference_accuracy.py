"""A callback that measures the training set in inference mode (dropout off, batch norm's running
statistics) at the end of every epoch, instead of the running mean that ``fit`` logs during training."""

from __future__ import annotations

import numpy as np

from convkit.callbacks import Callback


class InferenceTrainAccuracy(Callback):
    """Adds ``inference_accuracy`` and ``inference_loss`` (``model.evaluate`` on ``x``, ``y``) to each
    epoch's logs, so the ``History`` after it records them beside ``accuracy``."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int = 500):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        results = self.model.evaluate(self.x, self.y, batch_size=self.batch_size, verbose=0)
        if logs is not None:
            logs["inference_accuracy"] = results["accuracy"]
            logs["inference_loss"] = results["loss"]


def fit_measuring_train_accuracy(model, split, batch_size: int, epochs: int, seed: int) -> dict:
    """``model.fit`` on ``split = (x_train, y_train, x_val, y_val)`` with the validation split and
    ``InferenceTrainAccuracy`` on the training images; returns the History's logs."""
    x_train, y_train, x_val, y_val = split
    return model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(x_val, y_val),
        callbacks=[InferenceTrainAccuracy(x_train, y_train)],
        seed=seed,
        verbose=0,
    ).history
