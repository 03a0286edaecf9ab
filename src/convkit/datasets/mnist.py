"""MNIST and Fashion-MNIST from their IDX files, downloaded from the public mirrors when missing.

On-disk layout (torchvision's): ``root/MNIST/raw/`` and ``root/FashionMNIST/raw/`` hold the four files
``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
``t10k-labels-idx1-ubyte``, each gzipped (``.gz``, as published) or already extracted. Debian's
``dataset-fashion-mnist`` package installs the four ``.gz`` files in ``DEBIAN_FASHION_MNIST``, where
``load_fashion_mnist()`` finds them when no root is given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .._validation import flag, path_like
from .download import fetch_missing
from .idx import read_idx

# base URLs tried in order; a file's URL is mirror + file name
MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
# published file -> MD5 (the checksums torchvision lists)
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_SIZES = {  # published file -> size in bytes; a download stops there
    "train-images-idx3-ubyte.gz": 9912422,
    "train-labels-idx1-ubyte.gz": 28881,
    "t10k-images-idx3-ubyte.gz": 1648877,
    "t10k-labels-idx1-ubyte.gz": 4542,
}
FASHION_MNIST_MIRRORS = [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
]
FASHION_MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
FASHION_MNIST_SIZES = {
    "train-images-idx3-ubyte.gz": 26421880,
    "train-labels-idx1-ubyte.gz": 29515,
    "t10k-images-idx3-ubyte.gz": 4422102,
    "t10k-labels-idx1-ubyte.gz": 5148,
}

# where `apt-get install dataset-fashion-mnist` puts the four published .gz files
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
# where load_fashion_mnist() downloads to when no root is given and the Debian package is absent
DEFAULT_ROOT = Path("~/.convkit/datasets")

IMAGE_SIZE = 28
NUM_CLASSES = 10
FASHION_MNIST_CLASSES = (  # label -> name, as the dataset's README lists them
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

Split = tuple[np.ndarray, np.ndarray]


def _on_disk(folder: Path, published_name: str) -> Path | None:
    """The gzipped file, else its extracted twin (name without ``.gz``), else None."""
    for path in (folder / published_name, folder / published_name[: -len(".gz")]):
        if path.is_file():
            return path
    return None


def _images(path: Path) -> np.ndarray:
    """float32 (N, 1, 28, 28) in [0, 1] from an IDX file of uint8 (N, 28, 28) images."""
    pixels = read_idx(path)
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(
            f"{path}: expected uint8 images of shape (N, {IMAGE_SIZE}, {IMAGE_SIZE}). "
            f"Received: {pixels.dtype} {pixels.shape}"
        )
    x = pixels.reshape(len(pixels), 1, IMAGE_SIZE, IMAGE_SIZE).astype(np.float32)  # (N, 1, 28, 28)
    x /= 255.0
    return x


def _labels(path: Path) -> np.ndarray:
    """int64 (N,) class labels in [0, 10) from an IDX file of uint8 (N,) labels."""
    labels = read_idx(path)
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{path}: expected uint8 labels of shape (N,). Received: {labels.dtype} {labels.shape}"
        )
    if labels.size and labels.max() >= NUM_CLASSES:
        raise ValueError(f"{path}: labels must lie in [0, {NUM_CLASSES}). Received: max {labels.max()}")
    return labels.astype(np.int64)


def _split(folder: Path, prefix: str) -> Split:
    images_path = _on_disk(folder, f"{prefix}-images-idx3-ubyte.gz")
    labels_path = _on_disk(folder, f"{prefix}-labels-idx1-ubyte.gz")
    x, y = _images(images_path), _labels(labels_path)
    if len(x) != len(y):
        raise ValueError(f"{images_path} holds {len(x)} images but {labels_path} holds {len(y)} labels")
    return x, y


def has_idx_files(folder: Path) -> bool:
    """Whether ``folder`` holds all four files of an MNIST-style data set (gzipped or extracted)."""
    return all(_on_disk(folder, name) is not None for name in MNIST_FILES)


def _load_idx_dataset(
    where: str,
    dataset: str,
    folder: Path,
    download: bool,
    progress: bool,
    mirrors: Sequence[str],
    files: Mapping[str, str],
    sizes: Mapping[str, int],
) -> tuple[Split, Split]:
    download, progress = flag(download, "download", where), flag(progress, "progress", where)
    fetch_missing(
        dataset,
        folder,
        files,
        mirrors,
        download=download,
        progress=progress,
        on_disk=lambda name: _on_disk(folder, name) is not None,
        absent_reason="download=False and the files are not on disk",
        note="(the .gz files as published, or their extracted contents without .gz)",
        sizes=sizes,
    )
    return _split(folder, "train"), _split(folder, "t10k")


def load_mnist(root: str | os.PathLike, download: bool = True, progress: bool = True) -> tuple[Split, Split]:
    """The MNIST handwritten digits as ``((x_train, y_train), (x_test, y_test))``.

    - x: float32 (N, 1, 28, 28) in [0, 1] (the uint8 pixels / 255); 60,000 training and 10,000 test images
    - y: int64 (N,) labels 0..9
    - files in ``root/MNIST/raw/`` (gzipped or extracted); the missing ones are downloaded from
      ``MNIST_MIRRORS`` and checked against ``MNIST_FILES`` when ``download``, with a progress bar on
      stderr when ``progress``

    Raises ``DatasetNotFoundError`` when files are missing and cannot be downloaded (the message says
    which, where to put them and where to get them), ``ValueError`` naming a corrupt file.
    """
    folder = path_like(root, "root", "load_mnist").expanduser().absolute() / "MNIST" / "raw"
    return _load_idx_dataset(
        "load_mnist", "MNIST", folder, download, progress, MNIST_MIRRORS, MNIST_FILES, MNIST_SIZES
    )


def fashion_mnist_folder(root: str | os.PathLike | None = None) -> Path:
    """Where ``load_fashion_mnist(root)`` reads: ``root/FashionMNIST/raw/``; with no root, the Debian
    package's folder when it holds the files, else ``DEFAULT_ROOT/FashionMNIST/raw/``."""
    if root is None:
        if has_idx_files(DEBIAN_FASHION_MNIST):
            return DEBIAN_FASHION_MNIST
        root = DEFAULT_ROOT
    return path_like(root, "root", "load_fashion_mnist").expanduser().absolute() / "FashionMNIST" / "raw"


def load_fashion_mnist(
    root: str | os.PathLike | None = None, download: bool = True, progress: bool = True
) -> tuple[Split, Split]:
    """Zalando's Fashion-MNIST (10 classes of clothing) as ``((x_train, y_train), (x_test, y_test))``.

    Same shapes, dtypes, sizes and behaviour as ``load_mnist``; files in ``root/FashionMNIST/raw/``,
    downloaded from ``FASHION_MNIST_MIRRORS`` and checked against ``FASHION_MNIST_FILES``. With no
    ``root``, the files of Debian's ``dataset-fashion-mnist`` package (``DEBIAN_FASHION_MNIST``) are read
    when installed, else ``DEFAULT_ROOT`` is the root. The class names are ``FASHION_MNIST_CLASSES``.
    """
    return _load_idx_dataset(
        "load_fashion_mnist",
        "FashionMNIST",
        fashion_mnist_folder(root),
        download,
        progress,
        FASHION_MNIST_MIRRORS,
        FASHION_MNIST_FILES,
        FASHION_MNIST_SIZES,
    )
