"""Keras-like layers, each built lazily from its input shape, with ``forward``/``backward``,
``params``/``grads`` and ``get_config``; ``serialize``/``deserialize`` turn a layer into a JSON-ready dict
and back."""

from .activations import ELU, GELU, LeakyReLU, PReLU, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh
from .augmentation import RandomCrop, RandomFlip, RandomShift
from .base import Layer
from .conv import Conv2D
from .conv_transpose import Conv2DTranspose
from .dense import Dense
from .depthwise import DepthwiseConv2D, SeparableConv2D
from .dropout import Dropout
from .normalization import BatchNorm, GroupNorm, LayerNorm
from .parallel import Parallel
from .pooling import AdaptiveAvgPool2D, AvgPool2D, GlobalAvgPool2D, GlobalMaxPool2D, MaxPool2D
from .preprocessing import Normalization, Rescaling
from .registry import deserialize, get, register, serialize
from .resampling import UpSampling2D, ZeroPadding2D
from .reshaping import Flatten
from .residual import Residual

__all__ = [
    "AdaptiveAvgPool2D",
    "AvgPool2D",
    "BatchNorm",
    "Conv2D",
    "Conv2DTranspose",
    "Dense",
    "DepthwiseConv2D",
    "Dropout",
    "ELU",
    "Flatten",
    "GELU",
    "GlobalAvgPool2D",
    "GlobalMaxPool2D",
    "GroupNorm",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "MaxPool2D",
    "Normalization",
    "PReLU",
    "Parallel",
    "RandomCrop",
    "RandomFlip",
    "RandomShift",
    "ReLU",
    "Rescaling",
    "Residual",
    "SeparableConv2D",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "UpSampling2D",
    "ZeroPadding2D",
    "deserialize",
    "get",
    "register",
    "serialize",
]
