"""The Callback base class: hooks that ``Sequential.fit`` calls around training, epochs and batches.

A callback sees the model through ``set_model`` and uses only these members of it: ``stop_training``
(fit checks it after each batch and each epoch), ``optimizer`` (with a mutable ``lr``),
``get_weights()``, ``set_weights(weights)`` and ``save(path)``.

Epochs and batches are 0-based, as in Keras. ``logs`` is the dict of the current values, e.g.
``{"loss": 0.5, "accuracy": 0.8, "val_loss": 0.6, "val_accuracy": 0.7}`` at the end of an epoch; a
callback may add keys to it (the schedules record ``"lr"``) for the callbacks after it to see.
"""

from __future__ import annotations


class Callback:
    """Base class: every hook does nothing; a subclass overrides the ones it needs.

    ``self.model`` is the model being trained, set by ``set_model`` before ``on_train_begin``.
    """

    def __init__(self):
        self.model = None

    def set_model(self, model) -> None:
        self.model = model

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called once at the start of ``fit``."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """Called once at the end of ``fit``, also when training was stopped early."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the start of epoch ``epoch`` (0-based)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Called at the end of an epoch; ``logs`` holds the epoch's training and validation metrics."""

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before the training step on batch ``batch`` (0-based within the epoch); ``fit`` passes
        the batch's number of samples as ``logs["size"]``."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after the training step on a batch; ``logs`` holds the batch's ``"loss"`` and metrics."""
