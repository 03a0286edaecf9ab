"""The pool of large output buffers: a buffer is handed out again only once nothing references it (nor
any view of it), small arrays bypass the pool, the pool stays within its cap, and a training loop stops
allocating fresh pages after its first steps."""

import resource

import numpy as np
import pytest

import convkit
from convkit import _workspace as workspace

LARGE = (workspace.MIN_POOLED_BYTES // 4,)  # float32 elements: exactly the smallest pooled size


@pytest.fixture
def empty_pool():
    workspace.empty_cache()
    yield
    workspace.empty_cache()


def _buffer(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def test_a_freed_buffer_is_reused(empty_pool):
    a = workspace.empty(LARGE, np.float32)
    address = _buffer(a)
    del a
    b = workspace.empty((2, LARGE[0] // 2), np.float32)  # same size, any shape
    assert _buffer(b) == address and b.shape == (2, LARGE[0] // 2) and b.flags.c_contiguous


def test_a_referenced_buffer_is_never_handed_out_twice(empty_pool):
    a = workspace.empty(LARGE, np.float32)
    view = a.reshape(2, -1)[1:]  # a view of a view: still keeps the buffer in use
    del a
    b = workspace.empty(LARGE, np.float32)
    assert not np.shares_memory(b, view)
    b.fill(1.0)
    view.fill(2.0)
    assert (b == 1.0).all()
    del view
    c = workspace.empty(LARGE, np.float32)
    assert not np.shares_memory(c, b)


def test_small_arrays_are_plain_numpy(empty_pool):
    small = workspace.empty((10,), np.float64)
    assert small.base is None and workspace.pooled_bytes() == 0
    zeros = workspace.zeros(LARGE, np.float64)
    assert not zeros.any() and zeros.dtype == np.float64


def test_the_pool_stays_within_its_cap(empty_pool, monkeypatch):
    monkeypatch.setattr(workspace, "MAX_POOLED_BYTES", 3 * workspace.MIN_POOLED_BYTES)
    held = [workspace.empty(LARGE, np.float32) for _ in range(5)]  # the last two are not pooled
    assert workspace.pooled_bytes() == 3 * workspace.MIN_POOLED_BYTES
    assert all(a.base is None for a in held[3:])
    del held
    bigger = workspace.empty((2 * LARGE[0],), np.float32)  # room made by dropping free buffers
    assert bigger.base is not None and workspace.pooled_bytes() <= 3 * workspace.MIN_POOLED_BYTES
    convkit.empty_cache()
    assert workspace.pooled_bytes() == 2 * workspace.MIN_POOLED_BYTES  # only the buffer in use is kept


def _bytes_in_buckets() -> int:
    return sum(base.nbytes for bucket in workspace._bases.values() for base in bucket)


def test_the_byte_count_matches_the_buckets_when_room_is_made(empty_pool, monkeypatch):
    # a new size that needs room made: the release empties (and drops) that size's bucket before the
    # new buffer is added; the buffer must still land in a bucket, counted once and reusable
    monkeypatch.setattr(workspace, "MAX_POOLED_BYTES", 2 * workspace.MIN_POOLED_BYTES)
    rng = np.random.default_rng(0)
    for n in rng.integers(1, 3, size=20):
        a = workspace.empty((n * LARGE[0],), np.float32)
        assert workspace.pooled_bytes() == _bytes_in_buckets()
        del a
    address = _buffer(workspace.empty((2 * LARGE[0],), np.float32))
    assert _buffer(workspace.empty((2 * LARGE[0],), np.float32)) == address  # pooled again
    workspace.empty_cache()
    assert workspace.pooled_bytes() == _bytes_in_buckets() == 0


def test_outputs_of_many_sizes_leave_the_pool_usable(empty_pool, monkeypatch):
    monkeypatch.setattr(workspace, "MAX_POOLED_BYTES", 16 * 1024 * 1024)
    x = np.zeros((300, 8, 28, 28), np.float32)  # one image is 25 KB: 11 of them reach the pooled size
    for n in range(11, 300, 7):
        convkit.functional.relu_forward(x[:n])
    assert workspace.pooled_bytes() == _bytes_in_buckets()
    workspace.empty_cache()
    assert workspace.pooled_bytes() == 0


def test_training_steps_stop_faulting_in_fresh_pages():
    model = convkit.models.lenet()
    model.compile(optimizer="adamax", loss="cross_entropy")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    model.fit(x, y, batch_size=128, epochs=3, verbose=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    model.fit(x, y, batch_size=128, epochs=10, verbose=0)
    faults_per_step = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10
    # one step's activations and gradients are ~2,000 pages of 4 KB: reused, almost none are new
    assert faults_per_step < 100
