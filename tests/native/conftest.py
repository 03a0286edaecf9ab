"""Native-kernel fixtures: every SIMD level this machine runs."""

import pytest

from convkit import _kernels

# the levels this machine runs (the portable baseline always); probing them leaves the best one set
SIMD_LEVELS = [level for level in ("baseline", "avx2", "avx512") if _kernels.set_simd_level(level) == level]
_kernels.set_simd_level(_kernels.best_simd_level())


@pytest.fixture(params=SIMD_LEVELS)
def simd(request):
    """Run the test once per SIMD level, with that level set; the previous level comes back after."""
    saved = _kernels.simd_level()
    assert _kernels.set_simd_level(request.param) == request.param
    yield request.param
    _kernels.set_simd_level(saved)
