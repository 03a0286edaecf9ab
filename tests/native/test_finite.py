"""The compiled finiteness check a training step runs on its gradients before applying any of them:
``all_finite`` against ``np.isfinite(x).all()`` at every SIMD level, for each kind of non-finite value at
the ends and in the middle of lengths that are not a multiple of any vector width, and in every job of the
parallel check."""

import numpy as np
import pytest

from convkit import _kernels


@pytest.mark.parametrize("size", [1, 7, 33, 1001])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_all_finite_finds_every_non_finite_value(size, bad, simd, dtype):
    x = np.random.default_rng(size).standard_normal(size).astype(dtype)
    assert _kernels.all_finite(x)
    for position in {0, size // 2, size - 1}:
        y = x.copy()
        y[position] = bad
        assert not _kernels.all_finite(y)


def test_all_finite_keeps_the_extremes_of_the_finite(simd, dtype):
    info = np.finfo(dtype)
    x = np.array([info.max, -info.max, info.smallest_subnormal, -0.0, 0.0], dtype)
    assert _kernels.all_finite(x)
    assert _kernels.all_finite(np.zeros(0, dtype))


@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_all_finite_on_several_threads_finds_a_value_in_every_job(n_threads, dtype):
    """Past 64K elements the check runs in jobs of ~16K on n_threads threads: a non-finite value at either
    end of any job is found."""
    size = 5 * 16 * 1024 + 3  # 6 jobs, the last ones not a multiple of a vector
    jobs = -(-size // (16 * 1024))
    x = np.random.default_rng(0).standard_normal(size).astype(dtype)
    assert _kernels.all_finite(x, n_threads)
    for job in range(jobs):
        for position in (job * size // jobs, (job + 1) * size // jobs - 1):
            y = x.copy()
            y[position] = np.nan
            assert not _kernels.all_finite(y, n_threads)
