"""EpochIterator: the order, the batches and the gathered rows of each training epoch."""

import numpy as np
import pytest

from convkit import _workspace
from convkit.epoch_iterator import EpochIterator, batch_slices


def test_batch_slices_cover_n_in_order_with_the_rest_last():
    assert list(batch_slices(10, 4)) == [slice(0, 4), slice(4, 8), slice(8, 10)]
    assert list(batch_slices(8, 4)) == [slice(0, 4), slice(4, 8)]
    assert list(batch_slices(0, 4)) == []


@pytest.mark.parametrize("shuffle", [True, False])
def test_each_epoch_gathers_the_rows_of_one_order(rng, shuffle):
    x = rng.standard_normal((11, 2, 3)).astype(np.float32)
    y = np.arange(11)
    iterator = EpochIterator(x, y, batch_size=4, shuffle=shuffle, seed=7)
    reference = np.random.default_rng(7)
    assert iterator.steps == 3
    for _ in range(3):
        order = reference.permutation(11) if shuffle else np.arange(11)
        batches = list(iterator.enumerate_epoch())
        assert [step for step, _, _ in batches] == [0, 1, 2]
        np.testing.assert_array_equal(np.concatenate([yb for _, _, yb in batches]), order)
        for _, xb, yb in batches:
            assert xb.dtype == x.dtype and xb.flags.c_contiguous
            np.testing.assert_array_equal(xb, x[yb])


def test_large_batches_are_gathered_into_pooled_buffers(rng):
    x = rng.standard_normal((8, _workspace.MIN_POOLED_BYTES // 4)).astype(np.float32)  # a pooled row
    iterator = EpochIterator(x, np.arange(8), batch_size=2, shuffle=True, seed=0)
    for _, xb, yb in iterator.enumerate_epoch():
        np.testing.assert_array_equal(xb, x[yb])
        assert any(xb.base is base for bucket in _workspace._bases.values() for base in bucket)
