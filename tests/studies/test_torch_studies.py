"""The torch studies' data helpers: digits subsets keep the full class count, image folders are found
and read."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="these studies train torch models (pip install convkit[torch])")
pytest.importorskip("torchvision", reason="these studies use torchvision (pip install convkit[torch])")

from studies import StudyContext  # noqa: E402
from studies.torch_data import digit_loaders, has_image_folder, image_folder_data  # noqa: E402


def test_digit_subset_keeps_the_class_count_and_a_seeded_order(tmp_path):
    ctx = StudyContext(mode="tiny", seed=3, out_dir=tmp_path)
    data, arrays = digit_loaders(ctx, size=8, n_train=12, n_test=5, batch_size=4)
    assert data.num_classes == 10 and data.in_channels == 1  # even if 12 images miss a digit
    assert arrays.x_train.shape == (12, 1, 8, 8) and len(data.test.dataset) == 5
    again, _ = digit_loaders(ctx, size=8, n_train=12, n_test=5, batch_size=4)
    first = np.concatenate([y.numpy() for _, y in data.train])
    second = np.concatenate([y.numpy() for _, y in again.train])
    np.testing.assert_array_equal(first, second)
    assert sorted(first) == sorted(arrays.y_train)


def test_image_folder_is_found_and_subsetted(tmp_path):
    from PIL import Image

    assert not has_image_folder(None) and not has_image_folder(tmp_path)
    rng = np.random.default_rng(0)
    for split, count in (("train", 4), ("test", 2)):
        for label in ("audi", "bmw", "fiat"):
            folder = tmp_path / split / label
            folder.mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 256, size=(20, 30, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.jpg")
    assert has_image_folder(tmp_path)

    data = image_folder_data(tmp_path, image_size=16, batch_size=4, n_train=5, n_test=None, seed=0)
    assert data.num_classes == 3 and data.in_channels == 3
    assert len(data.train.dataset) == 5 and len(data.test.dataset) == 6
    x, y = next(iter(data.test))
    assert tuple(x.shape) == (4, 3, 16, 16) and y.tolist() == [0, 0, 1, 1]
    assert "image folder" in data.name and "5 train / 6 test" in data.name
