"""Datasets: the embedded UCI digits (always available) and MNIST, Fashion-MNIST and CIFAR-10 (downloaded
from their public mirrors on first use, checksum-verified, read from their original file formats)."""

from .cifar10 import CIFAR10_CLASSES, load_cifar10
from .digits import load_digits, resize_images
from .errors import DatasetNotFoundError, DownloadError
from .mnist import DEBIAN_FASHION_MNIST, FASHION_MNIST_CLASSES, load_fashion_mnist, load_mnist

__all__ = [
    "CIFAR10_CLASSES",
    "DEBIAN_FASHION_MNIST",
    "FASHION_MNIST_CLASSES",
    "DatasetNotFoundError",
    "DownloadError",
    "load_cifar10",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "resize_images",
]
