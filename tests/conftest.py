"""Shared fixtures: seeded generators and the float tolerance table used by every parity test."""

import numpy as np
import pytest

# dtype -> (rtol, atol) for comparisons against torch
TOLERANCES = {
    np.float64: (1e-10, 1e-10),
    np.float32: (1e-4, 1e-4),
}


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(params=[np.float64, np.float32], ids=["float64", "float32"])
def dtype(request):
    return request.param


@pytest.fixture
def tol(dtype):
    rtol, atol = TOLERANCES[dtype]
    return {"rtol": rtol, "atol": atol}
