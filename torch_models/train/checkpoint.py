"""Checkpoint files: atomic writes, safe loads, and a digest that identifies a model's state."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from typing import Any, Union

import torch
from torch import nn

PathLike = Union[str, "os.PathLike[str]"]


def save_checkpoint(path: PathLike, state: Mapping[str, Any]) -> None:
    """``torch.save(state)`` to ``path`` atomically.

    The bytes go to a temporary file in the same directory, are flushed to disk, and the file is then
    renamed over ``path`` (``os.replace``): a reader, or a run killed mid-save, sees either the previous
    checkpoint or the new one, never a partial file.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(dict(state), f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise


def load_checkpoint(path: PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """A checkpoint written by ``save_checkpoint``, loaded with ``weights_only=True`` (no code runs)."""
    return torch.load(os.fspath(path), map_location=map_location, weights_only=True)


def state_dict_digest(model: nn.Module | Mapping[str, torch.Tensor]) -> str:
    """SHA-256 of a state dict's names and exact bytes: equal digests mean bitwise-equal models."""
    state = model.state_dict() if isinstance(model, nn.Module) else model
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous().reshape(-1)
        digest.update(f"{name}:{tensor.dtype}:{tuple(state[name].shape)}".encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()
