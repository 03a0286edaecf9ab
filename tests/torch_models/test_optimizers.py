"""make_optimizer: every name builds, weight decay skips vectors, bad names are reported."""

import pytest
import torch
from torch import nn

from torch_models.train import OPTIMIZERS, make_optimizer


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_weight_decay_applies_to_matrices_and_kernels_only(name):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3))
    opt = make_optimizer(name, model, lr=0.1, weight_decay=1e-2)
    assert isinstance(opt, OPTIMIZERS[name][0])
    decay = {id(p): g["weight_decay"] for g in opt.param_groups for p in g["params"]}
    assert len(decay) == len(list(model.parameters()))
    for p in model.parameters():
        assert decay[id(p)] == (1e-2 if p.dim() > 1 else 0.0)
    assert all(g["lr"] == 0.1 for g in opt.param_groups)


def test_sgd_uses_nesterov_momentum():
    opt = make_optimizer("sgd", nn.Linear(2, 2), lr=0.1)
    assert opt.param_groups[0]["momentum"] == 0.9 and opt.param_groups[0]["nesterov"]


def test_bad_arguments():
    with pytest.raises(
        ValueError, match=r"make_optimizer: optimizer must be one of .*Received: optimizer='lamb'"
    ):
        make_optimizer("lamb", nn.Linear(2, 2), lr=0.1)
    with pytest.raises(ValueError, match=r"make_optimizer: lr must be a positive float\. Received: lr=0"):
        make_optimizer("adam", nn.Linear(2, 2), lr=0)
    with pytest.raises(ValueError, match=r"make_optimizer: weight_decay must be a float >= 0\.0"):
        make_optimizer("adam", nn.Linear(2, 2), lr=0.1, weight_decay=-1)
    assert isinstance(make_optimizer("adamax", nn.Linear(2, 2), lr=1), torch.optim.Adamax)
