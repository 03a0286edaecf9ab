"""The data a study trains on, chosen by ``--dataset`` (``StudyContext.dataset``).

- ``fashion_mnist``: Zalando's Fashion-MNIST from ``--data-root`` (torchvision's layout,
  ``ROOT/FashionMNIST/raw/``) or from Debian's ``dataset-fashion-mnist`` package (``make data``).
- ``mnist``: ``ROOT/MNIST/raw/``; ``cifar10``: ``ROOT/cifar-10-batches-py/`` (or its archive).
- ``imagefolder``: ``ROOT/train/<class>/*`` and ``ROOT/test/<class>/*`` images (e.g. Stanford Cars after
  ``studies/stanford_cars.md``), resized to the study's size.
- ``digits``: the UCI digits embedded in convkit (8x8 scans, resized), always there.

No dataset asked for: Fashion-MNIST when its files are found, else the digits with a notice on stderr.
A dataset asked for and missing raises ``DatasetNotFoundError`` naming the files and where they were
looked for; there is no silent fallback. Tiny mode (the test suite) caps any dataset at ``TINY_SIZES``.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from convkit._registry import add
from convkit.datasets import (
    CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
    DatasetNotFoundError,
    load_cifar10,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    mnist,
    resize_images,
)
from convkit.datasets.mnist import fashion_mnist_folder, has_idx_files

TINY_SIZES = (512, 256)  # (train, test) images at most in tiny mode
DIGIT_CLASSES = tuple(str(d) for d in range(10))
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".gif", ".webp")


@dataclasses.dataclass
class StudyData:
    name: str  # what the report says it used, e.g. "Fashion-MNIST, 5000 train / 2000 test"
    x_train: np.ndarray  # float32 (N, C, H, W) in [0, 1]
    y_train: np.ndarray  # int64 (N,)
    x_test: np.ndarray
    y_test: np.ndarray
    dataset: str = ""  # the data set's own name, e.g. "Fashion-MNIST"
    source: str = ""  # where the files came from
    class_names: tuple[str, ...] = ()  # label -> name
    item: str = "image"  # what one label names, e.g. "clothing item" ("the true clothing item")

    def __post_init__(self):
        self.dataset = self.dataset or self.name
        if not self.class_names:
            self.class_names = tuple(str(c) for c in range(self.num_classes))

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return max(len(self.class_names), int(max(self.y_train.max(), self.y_test.max()) + 1))

    @property
    def is_fashion_mnist(self) -> bool:
        return self.dataset == "Fashion-MNIST"

    def description(self) -> str:
        """One sentence for a report: name, source, sizes, image shape and class names."""
        shape = "x".join(str(s) for s in self.input_shape)
        return (
            f"{self.dataset} ({self.source}): {len(self.x_train):,} training and {len(self.x_test):,} test "
            f"images of shape {shape}, {self.num_classes} classes ({', '.join(self.class_names)})."
        )

    def _with(self, name: str, x_train, y_train, x_test, y_test) -> StudyData:
        return dataclasses.replace(
            self, name=name, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test
        )

    def flattened(self) -> StudyData:
        """The same images as vectors (N, C*H*W), for the fully connected nets."""
        return self._with(
            self.name,
            self.x_train.reshape(len(self.x_train), -1),  # (N, C*H*W)
            self.y_train,
            self.x_test.reshape(len(self.x_test), -1),  # (N, C*H*W)
            self.y_test,
        )

    def split_validation(
        self, fraction: float = 0.2, seed: int = 0
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(x_train, y_train, x_val, y_val)``: a random ``fraction`` of the training split held out for
        validation (hyperparameters are chosen on it); the test split is left untouched."""
        order = np.random.default_rng(seed).permutation(len(self.x_train))
        n_val = max(1, int(round(len(order) * fraction)))
        train, val = np.sort(order[n_val:]), np.sort(order[:n_val])
        return self.x_train[train], self.y_train[train], self.x_train[val], self.y_train[val]

    def subset(self, n_train: int | None, n_test: int | None, seed: int = 0) -> StudyData:
        """A random class-mixed subset (sizes capped at what there is); None keeps a split whole."""
        rng = np.random.default_rng(seed)

        def pick(x, y, n):
            if n is None or n >= len(x):
                return x, y
            index = np.sort(rng.permutation(len(x))[:n])
            return x[index], y[index]

        x_train, y_train = pick(self.x_train, self.y_train, n_train)
        x_test, y_test = pick(self.x_test, self.y_test, n_test)
        label = f"{self.dataset}, {len(x_train)} train / {len(x_test)} test"
        return self._with(label, x_train, y_train, x_test, y_test)


Loader = Callable[[Path | None, int], StudyData]
_LOADERS: dict[str, Loader] = {}  # --dataset name -> loader(data_root, size), filled by @loader


def loader(name: str) -> Callable[[Loader], Loader]:
    """Register the decorated ``(data_root, size) -> StudyData`` as ``--dataset name``."""

    def register(load: Loader) -> Loader:
        add(_LOADERS, name, load, "dataset", "loader")
        return load

    return register


def dataset_names() -> tuple[str, ...]:
    return tuple(_LOADERS)


def _resized(x: np.ndarray, size: int) -> np.ndarray:
    """float32 (N, C, H, W) images resized bilinearly to (N, C, size, size) when they are not that size."""
    if x.shape[2:] == (size, size):
        return x
    n, c, h, w = x.shape
    planes = resize_images(x.reshape(n * c, h, w).astype(np.float64), size)  # (N*C, size, size)
    return planes.reshape(n, c, size, size).astype(np.float32)


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """The cached arrays, read-only: a study that edits them in place fails instead of changing the next."""
    for array in arrays:
        array.flags.writeable = False
    return arrays


@functools.lru_cache(maxsize=4)
def _read_idx(kind: str, root: Path | None) -> tuple[np.ndarray, ...]:
    read = load_fashion_mnist if kind == "fashion_mnist" else load_mnist
    (x_train, y_train), (x_test, y_test) = read(root, download=False, progress=False)
    return _frozen(x_train, y_train, x_test, y_test)


def fashion_mnist_roots(data_root: Path | None) -> list[Path | None]:
    """The roots that hold all of Fashion-MNIST's files, in the order they are tried: ``--data-root``
    (torchvision's layout), then the Debian package (None); empty when there is none."""
    tried = ([data_root] if data_root is not None else []) + [None]
    return [root for root in tried if has_idx_files(fashion_mnist_folder(root))]


def _not_found(dataset: str, files: str, places: list[Path], hint: str) -> DatasetNotFoundError:
    where = "\n".join(f"  - {place}" for place in places) or "  - (no --data-root was given)"
    return DatasetNotFoundError(f"{dataset}: {files} not found. Looked in:\n{where}\n{hint}")


@loader("fashion_mnist")
def _fashion_mnist(data_root: Path | None, size: int) -> StudyData:
    roots = fashion_mnist_roots(data_root)
    if not roots:
        tried = [fashion_mnist_folder(data_root)] if data_root is not None else []
        raise _not_found(
            "Fashion-MNIST",
            "the four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
            "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)",
            [*tried, mnist.DEBIAN_FASHION_MNIST],
            "Install them with `make data` (Debian's dataset-fashion-mnist) or put them in "
            "DATA_ROOT/FashionMNIST/raw/ and pass --data-root DATA_ROOT.",
        )
    x_train, y_train, x_test, y_test = _read_idx("fashion_mnist", roots[0])
    return StudyData(
        "Fashion-MNIST",
        _resized(x_train, size),
        y_train,
        _resized(x_test, size),
        y_test,
        source=f"Zalando's article images, the original IDX files in {fashion_mnist_folder(roots[0])}",
        class_names=FASHION_MNIST_CLASSES,
        item="clothing item",
    )


@loader("mnist")
def _mnist(data_root: Path | None, size: int) -> StudyData:
    folder = data_root / "MNIST" / "raw" if data_root is not None else None
    if folder is None or not has_idx_files(folder):
        raise _not_found(
            "MNIST",
            "the four IDX files",
            [folder] if folder else [],
            "Put them in DATA_ROOT/MNIST/raw/ and pass --data-root DATA_ROOT.",
        )
    x_train, y_train, x_test, y_test = _read_idx("mnist", data_root)
    return StudyData(
        "MNIST",
        _resized(x_train, size),
        y_train,
        _resized(x_test, size),
        y_test,
        source=f"LeCun et al.'s handwritten digits, the original IDX files in {folder}",
        class_names=DIGIT_CLASSES,
        item="digit",
    )


@functools.lru_cache(maxsize=1)
def _read_cifar10(data_root: Path) -> tuple[np.ndarray, ...]:
    (x_train, y_train), (x_test, y_test) = load_cifar10(data_root, download=False, progress=False)
    return _frozen(x_train, y_train, x_test, y_test)


@loader("cifar10")
def _cifar10(data_root: Path | None, size: int) -> StudyData:
    if data_root is None:
        raise _not_found(
            "CIFAR-10",
            "cifar-10-batches-py/ (or cifar-10-python.tar.gz)",
            [],
            "Put them in DATA_ROOT and pass --data-root DATA_ROOT.",
        )
    x_train, y_train, x_test, y_test = _read_cifar10(data_root)
    return StudyData(
        "CIFAR-10",
        x_train,
        y_train,
        x_test,
        y_test,
        source=f"Krizhevsky's 32x32 colour images, the python batches in {data_root}",
        class_names=CIFAR10_CLASSES,
        item="object",
    )


def _image_folder_split(folder: Path, classes: list[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image

    images, labels = [], []
    for label, name in enumerate(classes):
        for path in sorted((folder / name).iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                with Image.open(path) as image:
                    rgb = image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
                images.append(np.asarray(rgb, dtype=np.float32).transpose(2, 0, 1) / 255.0)  # (3, H, W)
                labels.append(label)
    return np.stack(images), np.asarray(labels, dtype=np.int64)


@loader("imagefolder")
def _image_folder(data_root: Path | None, size: int) -> StudyData:
    folders = [data_root / split for split in ("train", "test")] if data_root is not None else []
    if not folders or not all(folder.is_dir() for folder in folders):
        raise _not_found(
            "image folder",
            "train/<class>/ and test/<class>/ folders of images",
            folders,
            "Pass --data-root DATA_ROOT holding them (studies/stanford_cars.md converts Stanford Cars).",
        )
    classes = sorted(p.name for p in folders[0].iterdir() if p.is_dir())
    x_train, y_train = _image_folder_split(folders[0], classes, size)
    x_test, y_test = _image_folder_split(folders[1], classes, size)
    return StudyData(
        f"image folder {data_root.name}",
        x_train,
        y_train,
        x_test,
        y_test,
        source=f"the images under {data_root}, resized to {size}x{size}",
        class_names=tuple(classes),
        item="class",
    )


@loader("digits")
def _digits(data_root: Path | None, size: int) -> StudyData:
    (x_train, y_train), (x_test, y_test) = load_digits(size=size)
    return StudyData(
        f"UCI digits (embedded, {size}x{size})",
        x_train,
        y_train,
        x_test,
        y_test,
        dataset="UCI digits",
        source=f"the 8x8 scans embedded in convkit, resized to {size}x{size}",
        class_names=DIGIT_CLASSES,
        item="digit",
    )


def default_dataset(data_root: Path | None) -> str:
    """``fashion_mnist`` when its files are found, else ``digits`` (with a notice on stderr)."""
    if fashion_mnist_roots(data_root):
        return "fashion_mnist"
    print(
        "studies: Fashion-MNIST not found (run `make data`, or pass --data-root); using the embedded UCI "
        "digits instead. Pass --dataset to choose.",
        file=sys.stderr,
    )
    return "digits"


def load_study_data(ctx, size: int = 28) -> StudyData:
    """The data set of ``ctx.dataset`` (default: ``default_dataset``) at ``size`` x ``size`` pixels."""
    name = ctx.dataset or default_dataset(ctx.data_root)
    data = _LOADERS[name](ctx.data_root, size)
    if ctx.mode == "tiny":
        data = data.subset(*TINY_SIZES, seed=ctx.seed)
    return data
