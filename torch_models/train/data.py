"""Data loaders for the CLI: an image folder (Stanford Cars layout) or convkit's embedded digits.

Training batches come from a ``DistributedSampler`` (one shard per process under ``torchrun``, shuffled
by seed and epoch); the test set is split into disjoint, unpadded shards so that metrics summed over
processes count every image once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset, TensorDataset

from convkit._validation import int_at_least, positive_int

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class Loaders:
    """Train and test loaders of a dataset, with what a model needs to know about it."""

    train: DataLoader
    test: DataLoader
    num_classes: int
    in_channels: int
    classes: list[str]


def _make_loaders(
    train: Dataset,
    test: Dataset,
    classes: list[str],
    in_channels: int,
    *,
    batch_size: int,
    workers: int,
    seed: int,
    rank: int,
    world_size: int,
) -> Loaders:
    pin_memory = torch.cuda.is_available()
    sampler = DistributedSampler(train, num_replicas=world_size, rank=rank, shuffle=True, seed=seed)
    train_loader = DataLoader(
        train,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=workers,
        pin_memory=pin_memory,
        persistent_workers=workers > 0,
    )
    shard = Subset(test, range(rank, len(test), world_size))
    test_loader = DataLoader(shard, batch_size=batch_size, num_workers=workers, pin_memory=pin_memory)
    return Loaders(train_loader, test_loader, len(classes), in_channels, classes)


def image_folder_loaders(
    root: str | os.PathLike,
    *,
    image_size: int = 224,
    batch_size: int = 32,
    workers: int = 0,
    seed: int = 0,
    rank: int = 0,
    world_size: int = 1,
) -> Loaders:
    """Loaders for ``root/train/<class>/*.jpg`` and ``root/test/<class>/*.jpg`` (the Stanford Cars layout).

    Images are converted to RGB, resized to ``image_size`` x ``image_size`` and normalized with the
    ImageNet mean and standard deviation. Both splits must hold the same class folders.
    """
    from torchvision import datasets, transforms

    image_size = positive_int(image_size, "image_size", "image_folder_loaders")
    batch_size = positive_int(batch_size, "batch_size", "image_folder_loaders")
    workers = int_at_least(workers, 0, "workers", "image_folder_loaders")
    splits = {name: os.path.join(os.fspath(root), name) for name in ("train", "test")}
    missing = [path for path in splits.values() if not os.path.isdir(path)]
    if missing:
        raise ValueError(
            "image_folder_loaders: root must hold train/<class>/ and test/<class>/ folders. "
            f"Received: root={os.fspath(root)!r} (missing {', '.join(missing)})"
        )
    transform = transforms.Compose(
        [
            transforms.Resize((image_size, image_size)),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )
    train = datasets.ImageFolder(splits["train"], transform=transform)
    test = datasets.ImageFolder(splits["test"], transform=transform)
    if train.classes != test.classes:
        raise ValueError(
            "image_folder_loaders: train/ and test/ must hold the same class folders. "
            f"Received: train classes={train.classes}, test classes={test.classes}"
        )
    return _make_loaders(
        train,
        test,
        train.classes,
        3,
        batch_size=batch_size,
        workers=workers,
        seed=seed,
        rank=rank,
        world_size=world_size,
    )


def digits_loaders(
    *,
    image_size: int = 28,
    batch_size: int = 64,
    workers: int = 0,
    seed: int = 0,
    rank: int = 0,
    world_size: int = 1,
) -> Loaders:
    """Loaders for convkit's embedded digits (1,797 images, fixed split) at ``image_size`` px."""
    from convkit.datasets import load_digits

    image_size = positive_int(image_size, "image_size", "digits_loaders")
    batch_size = positive_int(batch_size, "batch_size", "digits_loaders")
    workers = int_at_least(workers, 0, "workers", "digits_loaders")
    (x_train, y_train), (x_test, y_test) = load_digits(size=image_size)
    train = TensorDataset(
        torch.as_tensor(x_train, dtype=torch.float32), torch.as_tensor(y_train, dtype=torch.int64)
    )
    test = TensorDataset(
        torch.as_tensor(x_test, dtype=torch.float32), torch.as_tensor(y_test, dtype=torch.int64)
    )
    classes = [str(d) for d in range(10)]
    return _make_loaders(
        train,
        test,
        classes,
        int(x_train.shape[1]),
        batch_size=batch_size,
        workers=workers,
        seed=seed,
        rank=rank,
        world_size=world_size,
    )
