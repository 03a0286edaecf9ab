"""make_optimizer: convkit's names and meanings, options passed on, weight decay skips vectors, bad
arguments reported."""

import pytest
import torch
from torch import nn

from convkit import optimizers as convkit_optimizers
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


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_names_and_meanings_are_convkits(name):
    """The torch optimizer of each name is the class and the defaults ``convkit.optimizers.get`` gives."""
    ours = make_optimizer(name, nn.Linear(2, 2), lr=0.1)
    theirs = convkit_optimizers.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    for key, value in theirs.get_config().items():
        if key in ("momentum", "nesterov", "dampening"):
            assert ours.param_groups[0][key] == value, key


def test_sgd_is_plain_and_momentum_is_heavy_ball():
    assert set(OPTIMIZERS) == {"sgd", "momentum", "rmsprop", "adam", "adamax", "adamw"}
    sgd = make_optimizer("sgd", nn.Linear(2, 2), lr=0.1).param_groups[0]
    momentum = make_optimizer("momentum", nn.Linear(2, 2), lr=0.1).param_groups[0]
    assert (sgd["momentum"], sgd["nesterov"]) == (0, False)
    assert (momentum["momentum"], momentum["nesterov"]) == (0.9, False)


def test_options_reach_the_torch_optimizer():
    group = make_optimizer("sgd", nn.Linear(2, 2), lr=0.1, options={"momentum": 0.9, "nesterov": True})
    assert group.param_groups[0]["momentum"] == 0.9 and group.param_groups[0]["nesterov"]
    group = make_optimizer("momentum", nn.Linear(2, 2), lr=0.1, options={"nesterov": True})
    assert group.param_groups[0]["momentum"] == 0.9 and group.param_groups[0]["nesterov"]


def test_bad_arguments():
    with pytest.raises(
        ValueError, match=r"make_optimizer: optimizer must be one of .*Received: optimizer='lamb'"
    ):
        make_optimizer("lamb", nn.Linear(2, 2), lr=0.1)
    with pytest.raises(ValueError, match=r"make_optimizer: lr must be a positive float\. Received: lr=0"):
        make_optimizer("adam", nn.Linear(2, 2), lr=0)
    with pytest.raises(ValueError, match=r"make_optimizer: weight_decay must be a non-negative float"):
        make_optimizer("adam", nn.Linear(2, 2), lr=0.1, weight_decay=-1)
    assert isinstance(make_optimizer("adamax", nn.Linear(2, 2), lr=1), torch.optim.Adamax)
    with pytest.raises(TypeError, match=r"make_optimizer: options must be a dict"):
        make_optimizer("sgd", nn.Linear(2, 2), lr=0.1, options=[("momentum", 0.9)])
    with pytest.raises(ValueError, match=r"make_optimizer: lr is an argument of its own"):
        make_optimizer("sgd", nn.Linear(2, 2), lr=0.1, options={"lr": 1.0})
    with pytest.raises(TypeError, match=r"make_optimizer: .*'betas'.*Received: options=\{'betas'"):
        make_optimizer("sgd", nn.Linear(2, 2), lr=0.1, options={"betas": (0.9, 0.99)})
    with pytest.raises(ValueError, match=r"make_optimizer: .*momentum.*Received: options=\{'momentum': -1"):
        make_optimizer("sgd", nn.Linear(2, 2), lr=0.1, options={"momentum": -1})
