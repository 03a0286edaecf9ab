"""Checkpoints: atomic replacement, safe loading, and digests that tell models apart."""

import os

import pytest
import torch
from torch import nn

from torch_models.train import load_checkpoint, save_checkpoint, state_dict_digest


def test_round_trip(tmp_path):
    path = tmp_path / "ckpt.pt"
    state = {"model": nn.Linear(3, 2).state_dict(), "epoch": 4, "history": {"loss": [1.0, None]}}
    save_checkpoint(path, state)
    loaded = load_checkpoint(path)
    assert loaded["epoch"] == 4 and loaded["history"] == {"loss": [1.0, None]}
    assert all(torch.equal(loaded["model"][k], v) for k, v in state["model"].items())
    assert os.listdir(tmp_path) == ["ckpt.pt"]


def test_a_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, {"epoch": 1})
    real_save = torch.save

    def save_then_crash(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", save_then_crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, {"epoch": 2})
    assert load_checkpoint(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["ckpt.pt"]  # the temporary file is gone


def test_loading_refuses_pickled_code(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"payload": nn.Linear(2, 2)}, path)  # a whole module: needs arbitrary unpickling
    with pytest.raises(Exception, match="weights_only"):
        load_checkpoint(path)


def test_state_dict_digest():
    torch.manual_seed(0)
    a = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    b = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    assert state_dict_digest(a) != state_dict_digest(b)
    b.load_state_dict(a.state_dict())
    assert state_dict_digest(a) == state_dict_digest(b) == state_dict_digest(b.state_dict())
    with torch.no_grad():
        b[0].weight[0, 0] = torch.nextafter(b[0].weight[0, 0], torch.tensor(1.0))  # one ulp
    assert state_dict_digest(a) != state_dict_digest(b)
