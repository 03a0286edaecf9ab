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
