"""EpochIterator and BatchIterator: the batches of one training epoch after another, as Keras' trainers
iterate them; EpochIterator cuts arrays, BatchIterator takes data given as an iterable of batches.

Each epoch draws a new order (``rng.permutation``, one call per epoch) when shuffling, cuts it into
consecutive batches of ``batch_size`` (the last one holds the rest) and gathers each batch's rows of x into
a pooled buffer (``_workspace``), so that a training step does not page-fault on a fresh array.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator

import numpy as np

from . import _workspace as workspace


def batch_slices(n: int, batch_size: int) -> Iterator[slice]:
    """``slice(0, batch_size)``, ``slice(batch_size, 2 * batch_size)``, ... up to ``n``."""
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


class EpochIterator:
    """``enumerate_epoch()`` yields ``(step, x_batch, y_batch)`` for one epoch, ``(step, x_batch, y_batch,
    weight_batch)`` when given ``sample_weight`` (N,); call it once per epoch.

    ``seed`` seeds the shuffling generator, so a seeded fit visits the same batches in the same order.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        shuffle: bool,
        seed: int | None,
        sample_weight: np.ndarray | None = None,
    ):
        self.x = x
        self.y = y
        self.sample_weight = sample_weight
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = np.random.default_rng(seed)
        self.steps = math.ceil(len(x) / batch_size)
        self.exhausted = False  # as BatchIterator's: arrays never run out

    def enumerate_epoch(self) -> Iterator[tuple[np.ndarray | int, ...]]:
        n = len(self.x)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for step, batch in enumerate(batch_slices(n, self.batch_size)):
            index = order[batch]
            # a reused buffer; mode="clip" (the indices are valid) because mode="raise" buffers the copy
            x_batch = workspace.empty((len(index), *self.x.shape[1:]), self.x.dtype)  # (B, *sample shape)
            np.take(self.x, index, axis=0, out=x_batch, mode="clip")
            if self.sample_weight is None:
                yield step, x_batch, self.y[index]
            else:
                yield step, x_batch, self.y[index], self.sample_weight[index]


def is_one_shot(data) -> bool:
    """True for an iterator (a generator): it yields its batches once; a list or a DataLoader re-iterates."""
    return isinstance(data, Iterator)


class BatchIterator:
    """``enumerate_epoch()`` over data given as an iterable of ``(x_batch, y_batch)``, as Keras takes a
    generator or a dataset: each batch is converted with ``np.asarray`` (a torch DataLoader's tensors
    too) and checked by ``prepare(x_batch, y_batch) -> (x_batch, y_batch)``.

    Without ``steps_per_epoch`` an epoch is one pass over ``data``, so a one-shot generator is accepted only
    for one epoch. With it, an epoch is ``steps_per_epoch`` batches drawn from one iterator that runs on
    from epoch to epoch (a re-iterable starts a new pass when one ends); when a generator runs out,
    ``exhausted`` is set (with a warning) and ``fit`` stops, as Keras does. ``steps`` is the number of
    batches per epoch, None when unknown (a generator without ``steps_per_epoch``).
    """

    def __init__(self, data, steps_per_epoch: int | None, epochs: int, prepare, name: str, where: str):
        if not hasattr(data, "__iter__"):
            raise TypeError(
                f"{where}: {name} must be an array with y given, or an iterable of (x_batch, y_batch). "
                f"Received: {name}={type(data).__name__}"
            )
        if is_one_shot(data) and steps_per_epoch is None and epochs > 1:
            raise ValueError(
                f"{where}: {name} is a one-shot iterator (a generator), which yields its batches once; "
                f"pass a re-iterable (a list, a DataLoader) or, for x, steps_per_epoch=... (batches per "
                f"epoch) to train for epochs={epochs}."
            )
        self.data = data
        self.steps_per_epoch = steps_per_epoch
        self.prepare = prepare
        self.name = name
        self.where = where
        self.steps = steps_per_epoch
        if steps_per_epoch is None and hasattr(data, "__len__"):
            self.steps = len(data)
        self.exhausted = False
        self._iterator = None

    def _batches(self) -> Iterator:
        if self.steps_per_epoch is None:
            yield from self.data
            return
        for _ in range(self.steps_per_epoch):
            if self._iterator is None:
                self._iterator = iter(self.data)
            batch = next(self._iterator, None)
            if batch is None and not is_one_shot(self.data):
                self._iterator = iter(self.data)  # a new pass over a re-iterable
                batch = next(self._iterator, None)
            if batch is None:
                warnings.warn(
                    f"{self.where}: {self.name} ran out of batches; training stops. Give a generator that "
                    "yields at least steps_per_epoch * epochs batches.",
                    RuntimeWarning,
                    stacklevel=3,
                )
                self.exhausted = True
                return
            yield batch

    def enumerate_epoch(self) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        for step, batch in enumerate(self._batches()):
            if not isinstance(batch, (tuple, list)) or len(batch) != 2:
                raise TypeError(
                    f"{self.where}: {self.name} must yield pairs (x_batch, y_batch); for arrays, pass "
                    f"x and y (validation_data as a tuple). Received a batch of type {type(batch).__name__}"
                )
            x_batch, y_batch = self.prepare(np.asarray(batch[0]), np.asarray(batch[1]))
            if len(x_batch) == 0:
                raise ValueError(f"{self.where}: {self.name} yielded an empty batch at step {step}.")
            yield step, x_batch, y_batch
