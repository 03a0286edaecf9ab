"""Which data a study gets: ``--dataset``, the Fashion-MNIST default, the digits notice, clear errors."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from convkit.datasets import DatasetNotFoundError
from convkit.datasets import mnist as mnist_module
from studies import StudyContext
from studies.__main__ import main
from studies.data import TINY_SIZES, dataset_names, load_study_data

from .test_convkit_studies import write_fake_mnist


@pytest.fixture
def no_debian_package(tmp_path, monkeypatch):
    """Fashion-MNIST is not installed system-wide during the test."""
    monkeypatch.setattr(mnist_module, "DEBIAN_FASHION_MNIST", tmp_path / "no-package")


def write_fake_fashion_mnist(root, n_train: int = 40, n_test: int = 20) -> None:
    """Random gzipped IDX files in torchvision's layout, ``root/FashionMNIST/raw/``."""
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for prefix, n in [("train", n_train), ("t10k", n_test)]:
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = np.arange(n, dtype=np.uint8) % 10
        images_idx = struct.pack(">IIII", 2051, n, 28, 28) + images.tobytes()
        (raw / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(images_idx))
        labels_idx = struct.pack(">II", 2049, n) + labels.tobytes()
        (raw / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels_idx))


def test_every_dataset_of_the_issue_is_a_choice():
    assert set(dataset_names()) == {"fashion_mnist", "mnist", "cifar10", "digits", "imagefolder"}
    with pytest.raises(ValueError, match="dataset must be one of"):
        StudyContext(dataset="svhn")


def test_default_is_fashion_mnist_from_the_data_root(tmp_path, no_debian_package):
    write_fake_fashion_mnist(tmp_path)
    data = load_study_data(StudyContext(mode="full", data_root=tmp_path))
    assert data.dataset == "Fashion-MNIST" and data.x_train.shape == (40, 1, 28, 28)
    assert data.class_names[0] == "T-shirt/top" and data.item == "clothing item"
    assert "Fashion-MNIST (Zalando's article images" in data.description()
    assert "40 training and 20 test images of shape 1x28x28, 10 classes (T-shirt/top, Trouser" in (
        data.description()
    )


def test_default_without_fashion_mnist_is_the_digits_with_a_notice(no_debian_package, capsys):
    data = load_study_data(StudyContext(mode="full"))
    assert data.dataset == "UCI digits" and len(data.x_train) == 1438
    assert "Fashion-MNIST not found" in capsys.readouterr().err


def test_asked_for_and_missing_is_an_error_naming_where_it_looked(tmp_path, no_debian_package):
    with pytest.raises(DatasetNotFoundError) as info:
        load_study_data(StudyContext(dataset="fashion_mnist", data_root=tmp_path))
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and str(tmp_path / "FashionMNIST" / "raw") in message
    assert "no-package" in message and "make data" in message
    with pytest.raises(DatasetNotFoundError, match="MNIST/raw"):
        load_study_data(StudyContext(dataset="mnist", data_root=tmp_path))
    with pytest.raises(DatasetNotFoundError, match="cifar-10-batches-py"):
        load_study_data(StudyContext(dataset="cifar10"))
    with pytest.raises(DatasetNotFoundError, match="train/<class>/"):
        load_study_data(StudyContext(dataset="imagefolder", data_root=tmp_path))


def test_tiny_mode_caps_the_sizes(tmp_path):
    write_fake_mnist(tmp_path, n_train=TINY_SIZES[0] + 10, n_test=TINY_SIZES[1] + 10)
    data = load_study_data(StudyContext(mode="tiny", dataset="mnist", data_root=tmp_path))
    assert (len(data.x_train), len(data.x_test)) == TINY_SIZES and data.dataset == "MNIST"


def test_sizes_other_than_28_are_resized(tmp_path):
    write_fake_mnist(tmp_path)
    data = load_study_data(StudyContext(mode="full", dataset="mnist", data_root=tmp_path), size=16)
    assert data.x_train.shape == (120, 1, 16, 16) and data.x_train.dtype == np.float32


def test_image_folder(tmp_path):
    from PIL import Image

    for split, n in [("train", 3), ("test", 2)]:
        for name in ("audi", "bmw"):
            folder = tmp_path / split / name
            folder.mkdir(parents=True)
            for i in range(n):
                Image.new("RGB", (20 + i, 10), (i * 40, 100, 200)).save(folder / f"{i}.png")
    data = load_study_data(StudyContext(mode="full", dataset="imagefolder", data_root=tmp_path), size=12)
    assert data.x_train.shape == (6, 3, 12, 12) and data.y_test.tolist() == [0, 0, 1, 1]
    assert data.class_names == ("audi", "bmw")


def test_the_cli_takes_dataset(tmp_path, capsys):
    write_fake_mnist(tmp_path / "data")
    args = ["run", "two_layer_net", "--tiny", "--dataset", "mnist", "--data-root", str(tmp_path / "data")]
    assert main([*args, "--out", str(tmp_path / "out")]) == 0
    index = (tmp_path / "out" / "README.md").read_text()
    assert "| data |" in index and "MNIST, 120 train / 60 test" in index


@pytest.mark.skipif(
    not mnist_module.has_idx_files(mnist_module.DEBIAN_FASHION_MNIST),
    reason="the real Fashion-MNIST files are absent: `make data` installs Debian's dataset-fashion-mnist",
)
def test_the_real_fashion_mnist_is_the_default():
    data = load_study_data(StudyContext(mode="full"))
    assert data.dataset == "Fashion-MNIST" and data.x_train.shape == (60000, 1, 28, 28)
    assert len(data.x_test) == 10000 and str(mnist_module.DEBIAN_FASHION_MNIST) in data.source
    with pytest.raises(ValueError, match="read-only"):
        data.x_train[0, 0, 0, 0] = 1.0  # the cached arrays are shared by every study of the process
