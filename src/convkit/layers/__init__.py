"""Keras-like layers, each built lazily from its input shape, with ``forward``/``backward``,
``params``/``grads`` and ``get_config``; ``serialize``/``deserialize`` turn a layer into a JSON-ready dict
and back."""

from .activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .augmentation import RandomCrop, RandomFlip, RandomShift
from .base import Layer
from .conv import Conv2D
from .conv_transpose import Conv2DTranspose
from .dense import Dense
from .depthwise import DepthwiseConv2D, SeparableConv2D
from .dropout import Dropout
from .normalization import BatchNorm
from .pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D
from .preprocessing import Normalization, Rescaling
from .registry import deserialize, get, register, serialize
from .reshaping import Flatten
from .residual import Residual

__all__ = [
    "AvgPool2D",
    "BatchNorm",
    "Conv2D",
    "Conv2DTranspose",
    "Dense",
    "DepthwiseConv2D",
    "Dropout",
    "Flatten",
    "GlobalAvgPool2D",
    "Layer",
    "LeakyReLU",
    "MaxPool2D",
    "Normalization",
    "RandomCrop",
    "RandomFlip",
    "RandomShift",
    "ReLU",
    "Rescaling",
    "Residual",
    "SeparableConv2D",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "deserialize",
    "get",
    "register",
    "serialize",
]
