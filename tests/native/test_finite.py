"""The compiled finiteness check a training step runs on its gradients before applying any of them:
``all_finite`` against ``np.isfinite(x).all()`` at every SIMD level, for each kind of non-finite value at
the ends and in the middle of lengths that are not a multiple of any vector width."""

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
