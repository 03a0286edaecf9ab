"""layernorm_* and groupnorm_* against torch's layer_norm and group_norm + autograd, on odd shapes."""

import pytest

from convkit.functional import groupnorm_backward, groupnorm_forward, layernorm_backward, layernorm_forward

torch = pytest.importorskip("torch", reason="torch is the reference of these parity tests")
tF = torch.nn.functional


@pytest.mark.parametrize("shape", [(5, 7), (3, 5, 7), (2, 3, 5, 7)], ids=str)
def test_layernorm_matches_torch(shape, dtype, layout, rng, check_parity):
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    weight = rng.standard_normal(shape[1:]).astype(dtype)
    bias = rng.standard_normal(shape[1:]).astype(dtype)
    check_parity(
        lambda x, w, b: layernorm_forward(x, w, b, eps=1e-4),
        layernorm_backward,
        lambda x, w, b: tF.layer_norm(x, shape[1:], w, b, eps=1e-4),
        [x, weight, bias],
        layout,
    )


@pytest.mark.parametrize(
    ("shape", "groups"),
    [((3, 6, 5, 7), 3), ((2, 6, 5, 7), 1), ((2, 6, 5, 7), 6), ((4, 6), 2), ((2, 4, 5), 2)],
)
def test_groupnorm_matches_torch(shape, groups, dtype, layout, rng, check_parity):
    x = (rng.standard_normal(shape) * 2 - 1).astype(dtype)
    weight = rng.standard_normal(shape[1]).astype(dtype)
    bias = rng.standard_normal(shape[1]).astype(dtype)
    check_parity(
        lambda x, w, b: groupnorm_forward(x, w, b, groups),
        groupnorm_backward,
        lambda x, w, b: tF.group_norm(x, groups, w, b, eps=1e-5),
        [x, weight, bias],
        layout,
    )
