"""Datasets: the embedded UCI digits (always available) and MNIST, Fashion-MNIST and CIFAR-10 (downloaded
from their public mirrors on first use, checksum-verified, read from their original file formats)."""

from .cifar10 import load_cifar10
from .digits import load_digits, resize_images
from .errors import DatasetNotFoundError, DownloadError
from .mnist import load_fashion_mnist, load_mnist

__all__ = [
    "DatasetNotFoundError",
    "DownloadError",
    "load_cifar10",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "resize_images",
]
