"""The functional API, CS231n style: every op is a ``x_forward(...) -> (out, cache)`` and
``x_backward(dout, cache) -> grads`` pair; losses return ``(loss, dpred)``. The ops with parameters also
have ``x_backward_weights(dout, cache)``: the parameter gradients alone, for a network's first layer, and
``x_backward_input(dout, cache)``: dx alone, for a frozen layer.
``conv2d_relu_*``, ``affine_relu_*`` and ``batchnorm_relu_*`` are CS231n's sandwich layers with the ReLU
fused into the kernel; ``add_relu_*`` is a residual block's sum and closing ReLU in one pass, and
``batchnorm_add_relu_*`` / ``conv2d_add_relu_*`` the block's last batch norm / convolution, that sum and
the ReLU in one.

Layouts are torch's: images NCHW, convolution weights OIHW, so outputs compare with torch directly.
The output dtype is the input's (float32 or float64; integers become float64).
"""

from .activations import (
    elu_backward,
    elu_forward,
    gelu_backward,
    gelu_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    prelu_backward,
    prelu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    silu_backward,
    silu_forward,
    softmax_backward,
    softmax_forward,
    softplus_backward,
    softplus_forward,
    tanh_backward,
    tanh_forward,
)
from .add import add, add_relu_backward, add_relu_forward
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
from .batchnorm import (
    batchnorm_add_relu_backward,
    batchnorm_add_relu_forward,
    batchnorm_backward,
    batchnorm_forward,
    batchnorm_relu_backward,
    batchnorm_relu_forward,
)
from .conv import (
    conv2d_add_relu_backward,
    conv2d_add_relu_forward,
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
from .losses import bce_with_logits, huber_loss, l1_loss, mse_loss, softmax_cross_entropy
from .normalization import groupnorm_backward, groupnorm_forward, layernorm_backward, layernorm_forward
from .pooling import (
    adaptive_avgpool2d_backward,
    adaptive_avgpool2d_forward,
    avgpool2d_backward,
    avgpool2d_forward,
    global_avgpool2d_backward,
    global_avgpool2d_forward,
    global_maxpool2d_backward,
    global_maxpool2d_forward,
    maxpool2d_backward,
    maxpool2d_forward,
)
from .preprocessing import (
    normalization_backward,
    normalization_forward,
    rescaling_backward,
    rescaling_forward,
)
from .resampling import (
    upsampling2d_backward,
    upsampling2d_forward,
    zero_padding2d_backward,
    zero_padding2d_forward,
)
from .shift import random_shift_backward, random_shift_forward

__all__ = [
    "adaptive_avgpool2d_backward",
    "adaptive_avgpool2d_forward",
    "add",
    "add_relu_backward",
    "add_relu_forward",
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
    "batchnorm_add_relu_backward",
    "batchnorm_add_relu_forward",
    "batchnorm_backward",
    "batchnorm_forward",
    "batchnorm_relu_backward",
    "batchnorm_relu_forward",
    "bce_with_logits",
    "conv2d_add_relu_backward",
    "conv2d_add_relu_forward",
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
    "elu_backward",
    "elu_forward",
    "gelu_backward",
    "gelu_forward",
    "global_avgpool2d_backward",
    "global_avgpool2d_forward",
    "global_maxpool2d_backward",
    "global_maxpool2d_forward",
    "groupnorm_backward",
    "groupnorm_forward",
    "huber_loss",
    "l1_loss",
    "layernorm_backward",
    "layernorm_forward",
    "leaky_relu_backward",
    "leaky_relu_forward",
    "maxpool2d_backward",
    "maxpool2d_forward",
    "mse_loss",
    "normalization_backward",
    "normalization_forward",
    "prelu_backward",
    "prelu_forward",
    "random_crop_backward",
    "random_crop_forward",
    "random_flip_backward",
    "random_flip_forward",
    "random_shift_backward",
    "random_shift_forward",
    "relu_backward",
    "relu_forward",
    "rescaling_backward",
    "rescaling_forward",
    "sigmoid_backward",
    "sigmoid_forward",
    "silu_backward",
    "silu_forward",
    "softmax_backward",
    "softmax_cross_entropy",
    "softmax_forward",
    "softplus_backward",
    "softplus_forward",
    "tanh_backward",
    "tanh_forward",
    "upsampling2d_backward",
    "upsampling2d_forward",
    "zero_padding2d_backward",
    "zero_padding2d_forward",
]
