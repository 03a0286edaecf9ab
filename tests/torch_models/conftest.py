"""Fixtures for the torch_models tests: a tiny image folder on disk, separable synthetic batches, and the
environment for subprocesses that import the packages under test."""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("torch", reason="torch_models is built on torch (pip install convkit[torch])")

import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import torch_models  # noqa: E402

CLASS_COLOURS = {"blue": (30, 40, 210), "green": (40, 200, 50), "red": (210, 40, 30)}


@pytest.fixture
def image_folder(tmp_path):
    """``root/{train,test}/<class>/*.png``: 3 classes of noisy one-colour 16x16 images (4 train, 2 test)."""
    rng = np.random.default_rng(0)
    root = tmp_path / "cars"
    for split, per_class in (("train", 4), ("test", 2)):
        for name, colour in CLASS_COLOURS.items():
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(per_class):
                pixels = np.clip(np.array(colour) + rng.normal(0, 30, (16, 16, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.png")
    return root


def _separable_tensors(n: int, num_classes: int, channels: int, size: int, seed: int):
    """Images whose class shows as a bright quadrant on noise: (N, C, size, size) float32, (N,) int64."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % num_classes
    x = 0.3 * torch.randn(n, channels, size, size, generator=g)
    half = size // 2
    for c in range(num_classes):
        row, col = divmod(c % 4, 2)
        x[y == c, :, row * half : (row + 1) * half, col * half : (col + 1) * half] += 1.0
    return x, y


@pytest.fixture
def separable_loader():
    """``make(n, num_classes, channels, size, batch_size, shuffle, seed)``: a loader of separable images."""

    def make(n=24, num_classes=3, channels=1, size=12, batch_size=8, shuffle=True, seed=0):
        x, y = _separable_tensors(n, num_classes, channels, size, seed)
        return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)

    return make


@pytest.fixture
def subprocess_env():
    """os.environ plus a PYTHONPATH that finds torch_models and convkit where this process found them
    (the source tree during development, site-packages once installed), one thread per process."""
    import convkit

    roots = {os.path.dirname(os.path.dirname(os.path.abspath(m.__file__))) for m in (torch_models, convkit)}
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*sorted(roots), *filter(None, [env.get("PYTHONPATH")])])
    env["OMP_NUM_THREADS"] = "1"
    return env
