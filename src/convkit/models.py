"""The classic lab models, each returned as an uncompiled ``Sequential``."""

from __future__ import annotations

from collections.abc import Sequence

from . import layers
from .sequential import Sequential


def two_layer_net(
    input_dim: int = 3 * 32 * 32,
    hidden_dim: int = 100,
    num_classes: int = 10,
    weight_scale: float | None = 1e-3,
    reg: float = 0.0,
    dtype="float32",
) -> Sequential:
    """CS231n's TwoLayerNet: affine - ReLU - affine (scores). Inputs of any shape are flattened first."""
    return Sequential(
        [
            layers.Dense(
                hidden_dim,
                input_shape=(input_dim,),
                weight_scale=weight_scale,
                kernel_regularizer=reg or None,
                dtype=dtype,
            ),
            layers.ReLU(dtype=dtype),
            layers.Dense(num_classes, weight_scale=weight_scale, kernel_regularizer=reg or None, dtype=dtype),
        ],
        name="two_layer_net",
    )


def fully_connected_net(
    hidden_dims: Sequence[int],
    num_classes: int = 10,
    input_dim: int = 3 * 32 * 32,
    normalization: str | None = None,
    dropout: float = 0.0,
    weight_scale: float | None = None,
    reg: float = 0.0,
    dtype="float32",
) -> Sequential:
    """CS231n's FullyConnectedNet: {affine - [batchnorm] - ReLU - [dropout]} x L-1 - affine.

    ``normalization``: None or ``"batchnorm"``; ``dropout``: the drop probability (0 disables it);
    ``weight_scale``: None uses He initialization, a float draws N(0, weight_scale^2).
    """
    if normalization not in (None, "batchnorm"):
        raise ValueError(
            f"fully_connected_net: normalization must be None or 'batchnorm'. Received: {normalization!r}"
        )
    model = Sequential(name="fully_connected_net")
    regularizer = reg or None
    for i, width in enumerate(hidden_dims):
        shape = {"input_shape": (input_dim,)} if i == 0 else {}
        model.add(
            layers.Dense(
                width, weight_scale=weight_scale, kernel_regularizer=regularizer, dtype=dtype, **shape
            )
        )
        if normalization == "batchnorm":
            model.add(layers.BatchNorm(dtype=dtype))
        model.add(layers.ReLU(dtype=dtype))
        if dropout:
            model.add(layers.Dropout(dropout, dtype=dtype))
    shape = {} if hidden_dims else {"input_shape": (input_dim,)}
    model.add(
        layers.Dense(
            num_classes, weight_scale=weight_scale, kernel_regularizer=regularizer, dtype=dtype, **shape
        )
    )
    return model


def three_layer_convnet(
    input_shape: Sequence[int] = (3, 32, 32),
    num_filters: int = 32,
    filter_size: int = 7,
    hidden_dim: int = 100,
    num_classes: int = 10,
    weight_scale: float | None = None,
    reg: float = 0.0,
    dtype="float32",
) -> Sequential:
    """CS231n's ThreeLayerConvNet: conv ("same") - ReLU - 2x2 max pool - affine - ReLU - affine."""
    regularizer = reg or None
    return Sequential(
        [
            layers.Conv2D(
                num_filters,
                filter_size,
                padding="same",
                input_shape=tuple(input_shape),
                weight_scale=weight_scale,
                kernel_regularizer=regularizer,
                dtype=dtype,
            ),
            layers.ReLU(dtype=dtype),
            layers.MaxPool2D(2, dtype=dtype),
            layers.Flatten(dtype=dtype),
            layers.Dense(hidden_dim, weight_scale=weight_scale, kernel_regularizer=regularizer, dtype=dtype),
            layers.ReLU(dtype=dtype),
            layers.Dense(num_classes, weight_scale=weight_scale, kernel_regularizer=regularizer, dtype=dtype),
        ],
        name="three_layer_convnet",
    )


def lenet(
    num_classes: int = 10, in_channels: int = 1, image_size: int = 28, dtype="float32", max_shift: int = 0
) -> Sequential:
    """LeNet as in the labs: conv3x3(in->6) ReLU pool2, conv3x3(6->16) ReLU pool2, flatten, 120, 84, classes.

    The ReLUs are fused into the convolutions and dense layers (``activation="relu"``); ``to_torch`` writes
    them out as modules, giving exactly ``torch_models.lenet``'s layout, so weights copy across in order.
    ``max_shift`` > 0 puts a ``RandomShift(max_shift)`` in front, which shifts the training images by up
    to that many pixels (the demo's augmentation) and is the identity at inference.
    """
    input_shape = (in_channels, image_size, image_size)
    relu = {"activation": "relu", "dtype": dtype}
    augment = [layers.RandomShift(max_shift, input_shape=input_shape, dtype=dtype)] if max_shift else []
    return Sequential(
        [
            *augment,
            layers.Conv2D(6, 3, input_shape=input_shape, **relu),
            layers.MaxPool2D(2, dtype=dtype),
            layers.Conv2D(16, 3, **relu),
            layers.MaxPool2D(2, dtype=dtype),
            layers.Flatten(dtype=dtype),
            layers.Dense(120, **relu),
            layers.Dense(84, **relu),
            layers.Dense(num_classes, dtype=dtype),
        ],
        name="lenet",
    )


def keras_mnist_convnet(
    num_classes: int = 10, in_channels: int = 1, image_size: int = 28, dtype="float32"
) -> Sequential:
    """Keras' "Simple MNIST convnet" example (keras.io/examples/vision/mnist_convnet): conv3x3(32) ReLU pool2,
    conv3x3(64) ReLU pool2, flatten, dropout 0.5, dense(classes); Glorot-uniform kernels as in Keras. The
    example trains it with Adam in batches of 128. Returns logits (the loss applies the softmax).
    """
    input_shape = (in_channels, image_size, image_size)
    conv = {"activation": "relu", "kernel_initializer": "glorot_uniform", "dtype": dtype}
    return Sequential(
        [
            layers.Conv2D(32, 3, input_shape=input_shape, **conv),
            layers.MaxPool2D(2, dtype=dtype),
            layers.Conv2D(64, 3, **conv),
            layers.MaxPool2D(2, dtype=dtype),
            layers.Flatten(dtype=dtype),
            layers.Dropout(0.5, dtype=dtype),
            layers.Dense(num_classes, kernel_initializer="glorot_uniform", dtype=dtype),
        ],
        name="keras_mnist_convnet",
    )


def tf_fashion_cnn(
    num_classes: int = 10, in_channels: int = 1, image_size: int = 28, dtype="float32"
) -> Sequential:
    """The CNN of TensorFlow's "Build a Convolutional Neural Network using Estimators" tutorial (MNIST /
    Fashion-MNIST): conv5x5(32, "same") ReLU pool2, conv5x5(64, "same") ReLU pool2, flatten, dense(1024)
    ReLU, dropout 0.4, dense(classes); Glorot-uniform kernels (TensorFlow's default). The tutorial trains
    it in batches of 100; Adam here. Returns logits.
    """
    input_shape = (in_channels, image_size, image_size)
    relu = {"activation": "relu", "kernel_initializer": "glorot_uniform", "dtype": dtype}
    return Sequential(
        [
            layers.Conv2D(32, 5, padding="same", input_shape=input_shape, **relu),
            layers.MaxPool2D(2, dtype=dtype),
            layers.Conv2D(64, 5, padding="same", **relu),
            layers.MaxPool2D(2, dtype=dtype),
            layers.Flatten(dtype=dtype),
            layers.Dense(1024, **relu),
            layers.Dropout(0.4, dtype=dtype),
            layers.Dense(num_classes, kernel_initializer="glorot_uniform", dtype=dtype),
        ],
        name="tf_fashion_cnn",
    )


def _basic_block(filters: int, stride: int, dtype) -> layers.Residual:
    """He et al.'s basic block: [conv3x3 BN ReLU conv3x3 BN] + shortcut, then ReLU (fused into the sum); a
    1x1 stride-2 convolution + BN as the shortcut where the block halves the image and widens the channels."""
    conv = {"use_bias": False, "dtype": dtype}
    shortcut = None
    if stride != 1:
        shortcut = [layers.Conv2D(filters, 1, stride=stride, **conv), layers.BatchNorm(dtype=dtype)]
    block = [
        layers.Conv2D(filters, 3, stride=stride, padding=1, **conv),
        layers.BatchNorm(activation="relu", dtype=dtype),
        layers.Conv2D(filters, 3, padding=1, **conv),
        layers.BatchNorm(dtype=dtype),
    ]
    return layers.Residual(block, shortcut, activation="relu", dtype=dtype)


def resnet20(
    num_classes: int = 10, in_channels: int = 3, image_size: int = 32, dtype="float32"
) -> Sequential:
    """ResNet-20 for CIFAR-10 (He et al., "Deep Residual Learning for Image Recognition", 2016, section 4.2):
    conv3x3(16) BN ReLU, three stages of 3 basic blocks with 16, 32 and 64 channels (the first block of the
    second and third stage has stride 2 and a 1x1 convolution + BN shortcut), global average pooling,
    dense(classes). He-normal kernels, no conv biases (BN follows each convolution). The paper trains it
    with SGD, momentum 0.9, in batches of 128. Returns logits.
    """
    input_shape = (in_channels, image_size, image_size)
    stages = []
    for stage, filters in enumerate((16, 32, 64)):
        for block in range(3):
            stages.append(_basic_block(filters, 2 if stage > 0 and block == 0 else 1, dtype))
    return Sequential(
        [
            layers.Conv2D(16, 3, padding=1, use_bias=False, input_shape=input_shape, dtype=dtype),
            layers.BatchNorm(activation="relu", dtype=dtype),
            *stages,
            layers.GlobalAvgPool2D(dtype=dtype),
            layers.Dense(num_classes, dtype=dtype),
        ],
        name="resnet20",
    )


def _conv_bn_relu(filters: int, dtype, **first) -> list[layers.Layer]:
    """conv3x3 ("same", no bias) BN ReLU: the unit of the VGG-style net (the ReLU fused into the BN, as in
    every model below: ``to_torch`` writes it as a module of its own)."""
    return [
        layers.Conv2D(filters, 3, padding=1, use_bias=False, dtype=dtype, **first),
        layers.BatchNorm(activation="relu", dtype=dtype),
    ]


def vgg_cifar(
    num_classes: int = 10, in_channels: int = 3, image_size: int = 32, dtype="float32"
) -> Sequential:
    """A VGG-style CIFAR net with batch norm: [conv3x3 BN ReLU] x 64, 64, pool2, 128, 128, pool2, 256, pool2,
    flatten, dense(classes); He-normal kernels, no conv biases. Returns logits."""
    input_shape = (in_channels, image_size, image_size)
    return Sequential(
        [
            *_conv_bn_relu(64, dtype, input_shape=input_shape),
            *_conv_bn_relu(64, dtype),
            layers.MaxPool2D(2, dtype=dtype),
            *_conv_bn_relu(128, dtype),
            *_conv_bn_relu(128, dtype),
            layers.MaxPool2D(2, dtype=dtype),
            *_conv_bn_relu(256, dtype),
            layers.MaxPool2D(2, dtype=dtype),
            layers.Flatten(dtype=dtype),
            layers.Dense(num_classes, dtype=dtype),
        ],
        name="vgg_cifar",
    )


def _depthwise_separable(filters: int, stride: int, dtype) -> list[layers.Layer]:
    """MobileNet's block: depthwise conv3x3 BN ReLU, then pointwise conv1x1 BN ReLU (no conv biases)."""
    return [
        layers.DepthwiseConv2D(3, stride=stride, padding=1, use_bias=False, dtype=dtype),
        layers.BatchNorm(activation="relu", dtype=dtype),
        layers.Conv2D(filters, 1, use_bias=False, dtype=dtype),
        layers.BatchNorm(activation="relu", dtype=dtype),
    ]


def mobilenet_cifar(
    num_classes: int = 10, in_channels: int = 3, image_size: int = 32, dtype="float32"
) -> Sequential:
    """A CPU-sized MobileNet (Howard et al., 2017) for 32x32 images: conv3x3(32) BN ReLU, depthwise-separable
    blocks to 64, 128 (stride 2), 128, 256 (stride 2), 256 channels, global average pooling,
    dense(classes). Returns logits."""
    input_shape = (in_channels, image_size, image_size)
    blocks = []
    for filters, stride in ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1)):
        blocks += _depthwise_separable(filters, stride, dtype)
    return Sequential(
        [
            *_conv_bn_relu(32, dtype, input_shape=input_shape),
            *blocks,
            layers.GlobalAvgPool2D(dtype=dtype),
            layers.Dense(num_classes, dtype=dtype),
        ],
        name="mobilenet_cifar",
    )
