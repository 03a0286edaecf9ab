"""The functional API, CS231n style: every op is a ``x_forward(...) -> (out, cache)`` and
``x_backward(dout, cache) -> grads`` pair; losses return ``(loss, dpred)``. The ops with parameters also
have ``x_backward_weights(dout, cache)``: the parameter gradients alone, for a network's first layer, and
``x_backward_input(dout, cache)``: dx alone, for a frozen layer.
``conv2d_relu_*`` and ``affine_relu_*`` are CS231n's sandwich layers with the ReLU fused into the kernel.

Layouts are torch's: images NCHW, convolution weights OIHW, so outputs compare with torch directly.
The output dtype is the input's (float32 or float64; integers become float64).
"""

from .activations import (
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax_backward,
    softmax_forward,
    tanh_backward,
    tanh_forward,
)
from .affine import (
    affine_backward,
    affine_backward_input,
    affine_backward_weights,
    affine_forward,
    affine_relu_backward,
    affine_relu_backward_input,
    affine_relu_backward_weights,
    affine_relu_forward,
)
from .batchnorm import batchnorm_backward, batchnorm_forward
from .conv import (
    conv2d_backward,
    conv2d_backward_input,
    conv2d_backward_weights,
    conv2d_forward,
    conv2d_relu_backward,
    conv2d_relu_backward_input,
    conv2d_relu_backward_weights,
    conv2d_relu_forward,
    conv_output_size,
)
from .conv_transpose import (
    conv_transpose2d_backward,
    conv_transpose2d_backward_input,
    conv_transpose2d_backward_weights,
    conv_transpose2d_forward,
)
from .crop import random_crop_backward, random_crop_forward
from .dropout import dropout_backward, dropout_forward
from .flip import random_flip_backward, random_flip_forward
from .losses import mse_loss, softmax_cross_entropy
from .pooling import (
    avgpool2d_backward,
    avgpool2d_forward,
    global_avgpool2d_backward,
    global_avgpool2d_forward,
    maxpool2d_backward,
    maxpool2d_forward,
)
from .preprocessing import (
    normalization_backward,
    normalization_forward,
    rescaling_backward,
    rescaling_forward,
)
from .shift import random_shift_backward, random_shift_forward

__all__ = [
    "affine_backward",
    "affine_backward_input",
    "affine_backward_weights",
    "affine_forward",
    "affine_relu_backward",
    "affine_relu_backward_input",
    "affine_relu_backward_weights",
    "affine_relu_forward",
    "avgpool2d_backward",
    "avgpool2d_forward",
    "batchnorm_backward",
    "batchnorm_forward",
    "conv2d_backward",
    "conv2d_backward_input",
    "conv2d_backward_weights",
    "conv2d_forward",
    "conv2d_relu_backward",
    "conv2d_relu_backward_input",
    "conv2d_relu_backward_weights",
    "conv2d_relu_forward",
    "conv_output_size",
    "conv_transpose2d_backward",
    "conv_transpose2d_backward_input",
    "conv_transpose2d_backward_weights",
    "conv_transpose2d_forward",
    "dropout_backward",
    "dropout_forward",
    "global_avgpool2d_backward",
    "global_avgpool2d_forward",
    "leaky_relu_backward",
    "leaky_relu_forward",
    "maxpool2d_backward",
    "maxpool2d_forward",
    "mse_loss",
    "normalization_backward",
    "normalization_forward",
    "random_crop_backward",
    "random_crop_forward",
    "random_flip_backward",
    "random_flip_forward",
    "random_shift_backward",
    "random_shift_forward",
    "rescaling_backward",
    "rescaling_forward",
    "relu_backward",
    "relu_forward",
    "sigmoid_backward",
    "sigmoid_forward",
    "softmax_backward",
    "softmax_cross_entropy",
    "softmax_forward",
    "tanh_backward",
    "tanh_forward",
]
