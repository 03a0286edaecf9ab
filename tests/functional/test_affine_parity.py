"""affine_forward / affine_backward against torch.nn.functional.linear + autograd."""

import numpy as np
import pytest

from convkit.functional import affine_backward, affine_forward

torch = pytest.importorskip("torch", reason="torch is the reference of these parity tests")
tF = torch.nn.functional

# (x shape, M): x is flattened to (N, D)
CASES = [((4, 5), 3), ((1, 6), 2), ((3, 2, 3, 4), 5), ((2, 7, 1), 1), ((5, 1), 4)]
IDS = [f"x{x}-M{m}".replace(" ", "") for x, m in CASES]


def _torch_affine(x, w, b):
    return tF.linear(x.reshape(x.shape[0], -1), w.T, b)


@pytest.mark.parametrize("x_shape, M", CASES, ids=IDS)
def test_forward_and_backward_match_torch(x_shape, M, dtype, layout, rng, check_parity):
    D = int(np.prod(x_shape[1:]))
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal((D, M)).astype(dtype)
    b = rng.standard_normal(M).astype(dtype)
    out, (dx, dw, db) = check_parity(affine_forward, affine_backward, _torch_affine, [x, w, b], layout)
    assert out.shape == (x_shape[0], M)
    assert dx.shape == x_shape and dw.shape == (D, M) and db.shape == (M,)
