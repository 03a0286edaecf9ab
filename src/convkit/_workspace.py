"""A pool of large output buffers that the ops reuse once nothing references them any more.

Why: glibc serves a large allocation from fresh pages and hands them back to the kernel when it is freed,
so a training step that allocates the same few-MB activations and gradients every step pays one page
fault (a zeroed 4 KB page) per page, every step. On a small VM that was a third of a LeNet step at
batch 256. The pool keeps such buffers and hands them out again instead.

Safety: ``empty`` returns a view of a pooled base buffer only while no Python object refers to that base
besides the pool itself (numpy points every view, and every view of a view, at the base, so each one
raises its reference count). An array the caller, a layer cache or a user still holds is never handed out
twice. Small arrays are left to numpy: malloc recycles those without page faults.
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

MIN_POOLED_BYTES = 256 * 1024
MAX_POOLED_BYTES = 512 * 1024 * 1024  # beyond this, free buffers are released to make room

_lock = threading.Lock()
_bases: dict[int, list[np.ndarray]] = {}  # nbytes -> uint8 base buffers of exactly that size
_pooled_bytes = 0


def _refcount(bucket: list[np.ndarray], i: int) -> int:
    return sys.getrefcount(bucket[i])


# What _refcount reads for a base that only the pool holds (measured, not assumed: CPython versions differ).
_UNREFERENCED = _refcount([np.empty(1, np.uint8)], 0)


def empty(shape, dtype) -> np.ndarray:
    """Like ``np.empty(shape, dtype)`` (C-contiguous, uninitialized), from the pool when it is large."""
    shape = tuple(shape)
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_POOLED_BYTES:
        return np.empty(shape, dtype)
    with _lock:
        base = _take(nbytes)
    if base is None:
        return np.empty(shape, dtype)
    return base.view(dtype).reshape(shape)


def zeros(shape, dtype) -> np.ndarray:
    """Like ``np.zeros(shape, dtype)``, from the pool when it is large."""
    out = empty(shape, dtype)
    out.fill(0)
    return out


def empty_like(array: np.ndarray) -> np.ndarray:
    """``empty(array.shape, array.dtype)``."""
    return empty(array.shape, array.dtype)


def _take(nbytes: int) -> np.ndarray | None:
    """A free base of ``nbytes``, else a new pooled one, else None (the pool is full of buffers in use)."""
    global _pooled_bytes
    bucket = _bases.setdefault(nbytes, [])
    for i in range(len(bucket)):
        if _refcount(bucket, i) == _UNREFERENCED:
            base = bucket.pop(i)
            bucket.append(base)  # most recently used last: _release_free drops from the front
            return base
    if _pooled_bytes + nbytes > MAX_POOLED_BYTES:
        _release_free(_pooled_bytes + nbytes - MAX_POOLED_BYTES)
        if _pooled_bytes + nbytes > MAX_POOLED_BYTES:
            return None
    base = np.empty(nbytes, np.uint8)
    _bases.setdefault(nbytes, []).append(base)  # not ``bucket``: _release_free may have dropped that list
    _pooled_bytes += nbytes
    return base


def _release_free(wanted: int) -> None:
    """Drop free bases (least recently used first within each size) until ``wanted`` bytes are released."""
    global _pooled_bytes
    for nbytes, bucket in list(_bases.items()):
        i = 0
        while i < len(bucket) and wanted > 0:
            if _refcount(bucket, i) == _UNREFERENCED:
                del bucket[i]
                _pooled_bytes -= nbytes
                wanted -= nbytes
            else:
                i += 1
        if not bucket:
            del _bases[nbytes]


def pooled_bytes() -> int:
    """Bytes the pool holds, in use or free."""
    return _pooled_bytes


def empty_cache() -> None:
    """Release every pooled buffer that nothing uses any more (like ``torch.cuda.empty_cache``)."""
    with _lock:
        _release_free(_pooled_bytes)
