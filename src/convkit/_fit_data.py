"""``fit``'s data given as an iterable of ``(x_batch, y_batch)``: its checks, its iterators and the
validation logs over batches. Each batch is checked by the model as ``fit`` checks arrays."""

from __future__ import annotations

import numpy as np

from ._validation import positive_int
from .epoch_iterator import BatchIterator


def _checker(model, where: str, seed: int | None = None):
    """``prepare(x_batch, y_batch)``: a batch checked as ``fit`` checks arrays (builds the model)."""
    return lambda x_batch, y_batch: model._prepare(x_batch, y_batch, where, seed=seed)


def batch_iterator(model, x, steps_per_epoch, epochs: int, validation_split: float, seed, where: str):
    """The training ``BatchIterator`` over ``x`` (fit's ``y=None`` form)."""
    if validation_split:
        raise ValueError(
            f"{where}: validation_split needs arrays x and y; with batches, pass validation_data. "
            f"Received: validation_split={validation_split}"
        )
    if steps_per_epoch is not None:
        steps_per_epoch = positive_int(steps_per_epoch, "steps_per_epoch", where)
    if isinstance(x, np.ndarray):
        raise ValueError(f"{where}: y is required when x is an array. Received: y=None")
    return BatchIterator(x, steps_per_epoch, epochs, _checker(model, where, seed), "x", where)


def validation_iterator(model, validation_data, epochs: int, where: str) -> BatchIterator:
    """A ``BatchIterator`` over ``validation_data`` given as batches: one pass per epoch."""
    return BatchIterator(validation_data, None, epochs, _checker(model, where), "validation_data", where)


def validation_logs(model, validation, batch_size: int) -> dict[str, float]:
    """The validation logs: ``evaluate`` on a pair (x_val, y_val); over a ``BatchIterator`` the same
    (loss and metrics over all its samples at once), from the batches' outputs."""
    if isinstance(validation, tuple):
        return model.evaluate(*validation, batch_size=batch_size, verbose=0)
    outputs, targets = [], []
    for _, x_batch, y_batch in validation.enumerate_epoch():
        outputs.append(model.forward(x_batch, training=False))
        targets.append(y_batch)
    if not outputs:
        raise ValueError("fit: validation_data yielded no batch.")
    out, y = np.concatenate(outputs), np.concatenate(targets)
    data_loss, _ = model._loss_fn(out, y)
    return model._batch_logs(data_loss + model.regularization_loss(), out, y)
