"""The torch studies' data as DataLoaders: a ``StudyData`` (digits or MNIST) or an image folder from
``--data-root`` that holds ``train/<class>/`` and ``test/<class>/`` (the Stanford Cars layout).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

from .data import StudyData, load_study_data


@dataclasses.dataclass
class TorchData:
    name: str  # what the report says it used
    train: DataLoader  # shuffled with a seeded generator
    test: DataLoader  # in order
    num_classes: int
    in_channels: int


def torch_device() -> str:
    """The device the studies train on: "cuda" when a GPU is there, else "cpu"."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def _loader(dataset: Dataset, batch_size: int, shuffle: bool, seed: int) -> DataLoader:
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def tensor_dataset(x: np.ndarray, y: np.ndarray) -> TensorDataset:
    """float32 images (N, C, H, W) and int64 labels (N,) as a ``TensorDataset``."""
    # copies: the cached arrays of studies.data are read-only, which torch.as_tensor would warn about
    return TensorDataset(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64))


def study_loaders(data: StudyData, batch_size: int, seed: int, num_classes: int | None = None) -> TorchData:
    """Loaders over the arrays of ``data``: the training set shuffled by ``seed``, the test set in order.

    ``num_classes`` defaults to what ``data`` holds; pass the full set's count for a subset that may miss
    a class.
    """
    return TorchData(
        data.name,
        _loader(tensor_dataset(data.x_train, data.y_train), batch_size, True, seed),
        _loader(tensor_dataset(data.x_test, data.y_test), batch_size, False, seed),
        num_classes or data.num_classes,
        data.input_shape[0],
    )


def digit_loaders(
    ctx, *, size: int, n_train: int | None, n_test: int | None, batch_size: int
) -> tuple[TorchData, StudyData]:
    """``load_study_data`` (MNIST from ``--data-root``, else the embedded digits at ``size`` px), a
    ``ctx.seed`` subset of it, and loaders over that subset (with the full set's class count).
    """
    full = load_study_data(ctx, size=size)
    data = full.subset(n_train, n_test, seed=ctx.seed)
    return study_loaders(data, batch_size, ctx.seed, full.num_classes), data


def has_image_folder(root: Path | None) -> bool:
    """Whether ``root`` holds ``train/`` and ``test/``, each with at least one class folder."""
    if root is None:
        return False
    splits = [Path(root) / "train", Path(root) / "test"]
    return all(split.is_dir() and any(p.is_dir() for p in split.iterdir()) for split in splits)


def image_folder_data(
    root: Path, *, image_size: int, batch_size: int, n_train: int | None, n_test: int | None, seed: int
) -> TorchData:
    """RGB loaders over ``root/train`` and ``root/test`` at ``image_size`` px (ImageNet normalization),
    restricted to a random subset of ``n_train`` / ``n_test`` images (None keeps a split whole).
    """
    from torch_models.train import image_folder_loaders

    loaders = image_folder_loaders(root, image_size=image_size, batch_size=batch_size, seed=seed)
    rng = np.random.default_rng(seed)

    def pick(dataset: Dataset, n: int | None) -> Dataset:
        if n is None or n >= len(dataset):
            return dataset
        return Subset(dataset, np.sort(rng.permutation(len(dataset))[:n]).tolist())

    train = pick(loaders.train.dataset, n_train)
    test = pick(loaders.test.dataset, n_test)
    name = f"image folder {root} ({loaders.num_classes} classes, {image_size}x{image_size} RGB), "
    name += f"{len(train)} train / {len(test)} test"
    return TorchData(
        name,
        _loader(train, batch_size, True, seed),
        _loader(test, batch_size, False, seed),
        loaders.num_classes,
        loaders.in_channels,
    )
