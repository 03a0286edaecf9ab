"""EpochIterator: the batches of one training epoch after another, as Keras' trainers iterate them.

Each epoch draws a new order (``rng.permutation``, one call per epoch) when shuffling, cuts it into
consecutive batches of ``batch_size`` (the last one holds the rest) and gathers each batch's rows of x into
a pooled buffer (``_workspace``), so that a training step does not page-fault on a fresh array.
"""

from __future__ import annotations

import math
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
