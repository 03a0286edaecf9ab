"""``fit``'s data given as an iterable of ``(x_batch, y_batch)``: its checks, its iterators and the
validation logs over batches. Each batch is checked by the model as ``fit`` checks arrays."""

from __future__ import annotations

import numpy as np

from . import _model_inputs as model_inputs
from ._validation import positive_int
from .epoch_iterator import BatchIterator, EpochIterator
from .layers.chain import inference


def _checker(model, where: str, seed: int | None = None):
    """``prepare(x_batch, y_batch)``: a batch checked as ``fit`` checks arrays (builds the model)."""
    return lambda x_batch, y_batch: model_inputs.inputs_and_targets(model, x_batch, y_batch, where, seed=seed)


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


def array_iterator(
    model,
    x,
    y,
    batch_size: int,
    shuffle: bool,
    seed,
    validation_data,
    validation_split: float,
    sample_weight,
    class_weight,
    steps_per_epoch,
    where: str,
) -> tuple[EpochIterator, tuple | None, np.ndarray | None]:
    """fit's arrays: ``(the EpochIterator over the checked (x, y), the validation data or None, the
    held-out samples' sample_weight or None)``."""
    if steps_per_epoch is not None:
        raise ValueError(
            f"{where}: steps_per_epoch applies to x given as an iterable of batches (y=None). "
            f"Received: steps_per_epoch={steps_per_epoch!r} with arrays x and y"
        )
    x, y = model_inputs.inputs_and_targets(model, x, y, where, seed=seed)
    weights = model_inputs.loss_weights(model, sample_weight, class_weight, y, where)
    held_out = validation_data is None and validation_split > 0
    x, y, validation_data = split_validation(model, x, y, validation_data, validation_split, where)
    if len(x) == 0:
        raise ValueError(f"{where}: x holds no samples.")
    # the held-out samples keep their sample_weight (not class_weight) for the validation loss, as Keras
    held_out_weights = sample_weight is not None and held_out
    val_weights = np.asarray(sample_weight, dtype=model.dtype)[len(x) :] if held_out_weights else None
    weights = None if weights is None else weights[: len(x)]
    iterator = EpochIterator(x, y, batch_size, shuffle, seed, sample_weight=weights)
    return iterator, validation_data, val_weights


def split_validation(model, x, y, validation_data, validation_split: float, where: str):
    """``(x, y, (x_val, y_val) or None)``: the checked ``validation_data``, else the last
    ``validation_split`` of (x, y) held out."""
    if validation_data is None and validation_split > 0:
        n_val = int(round(len(x) * validation_split))
        if n_val == 0 or n_val == len(x):
            raise ValueError(
                f"{where}: validation_split={validation_split} leaves no training or validation sample "
                f"for {len(x)} samples."
            )
        return x[:-n_val], y[:-n_val], (x[-n_val:], y[-n_val:])
    if isinstance(validation_data, tuple):
        if len(validation_data) != 2:
            raise ValueError(f"{where}: validation_data must be a pair (x_val, y_val).")
        x_val = model_inputs.inputs(model, validation_data[0], where)
        validation_data = (x_val, model_inputs.targets(model, validation_data[1], len(x_val), where))
    return x, y, validation_data


def validation_logs(model, validation, batch_size: int, sample_weight=None) -> dict[str, float]:
    """The validation logs: ``evaluate`` on a pair (x_val, y_val); over a ``BatchIterator`` the same
    (loss and metrics over all its samples at once), from the batches' outputs."""
    if isinstance(validation, tuple):
        return model.evaluate(*validation, batch_size=batch_size, verbose=0, sample_weight=sample_weight)
    outputs, targets = [], []
    with inference():  # no backward pass follows: conv + batch norm pairs fold
        for _, x_batch, y_batch in validation.enumerate_epoch():
            outputs.append(model.forward(x_batch, training=False))
            targets.append(y_batch)
    if not outputs:
        raise ValueError("fit: validation_data yielded no batch.")
    out, y = np.concatenate(outputs), np.concatenate(targets)
    data_loss, _ = model._loss_fn(out, y)
    return model._batch_logs(data_loss + model.regularization_loss(), out, y)
