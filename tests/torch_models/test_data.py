"""Data loaders of the CLI: image folders (Stanford Cars layout), shards per process, convkit's digits."""

import pytest
import torch

from torch_models.train import digits_loaders, image_folder_loaders


def test_image_folder_loaders(image_folder):
    loaders = image_folder_loaders(image_folder, image_size=20, batch_size=5)
    assert loaders.classes == ["blue", "green", "red"]
    assert (loaders.num_classes, loaders.in_channels) == (3, 3)
    x, y = next(iter(loaders.train))
    assert x.shape == (5, 3, 20, 20) and x.dtype == torch.float32
    assert y.dtype == torch.int64
    labels = torch.cat([y for _, y in loaders.test])
    assert sorted(labels.tolist()) == [0, 0, 1, 1, 2, 2]
    # normalized with ImageNet statistics: the blue images have a high blue channel
    blue = torch.cat([x[y == 0] for x, y in loaders.test])
    assert blue[:, 2].mean() > 1 > blue[:, 0].mean()


def test_each_process_gets_its_own_shard(image_folder):
    shards = [
        image_folder_loaders(image_folder, image_size=8, rank=r, world_size=2, seed=0) for r in range(2)
    ]
    train = [set(iter(s.train.sampler)) for s in shards]
    assert not train[0] & train[1] and len(train[0] | train[1]) == 12
    test = [list(s.test.dataset.indices) for s in shards]
    assert test == [[0, 2, 4], [1, 3, 5]]


def test_image_folder_errors(image_folder, tmp_path):
    with pytest.raises(
        ValueError, match=r"image_folder_loaders: root must hold train/<class>/ and test/<class>/"
    ):
        image_folder_loaders(tmp_path / "nowhere")
    (image_folder / "test" / "red").rename(image_folder / "test" / "yellow")
    with pytest.raises(ValueError, match=r"train/ and test/ must hold the same class folders"):
        image_folder_loaders(image_folder)
    with pytest.raises(ValueError, match=r"image_folder_loaders: image_size must be a positive int"):
        image_folder_loaders(image_folder, image_size=0)


def test_digits_loaders():
    loaders = digits_loaders(image_size=28, batch_size=64)
    assert (loaders.num_classes, loaders.in_channels) == (10, 1)
    x, y = next(iter(loaders.train))
    assert x.shape == (64, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    total = sum(len(loader.dataset) for loader in (loaders.train, loaders.test))
    assert total == 1797
