"""Layers written as ``torch.autograd.Function``\\ s: each has its own forward and hand-written backward."""

from .activations import Mish, MishFunction, Swish, SwishFunction
from .channel_attention import ChannelAttention, ChannelAttentionFunction
from .mixed_pool import MixedPool2d, MixedPool2dFunction
from .ws_conv import WSConv2d, WSConv2dFunction

__all__ = [
    "ChannelAttention",
    "ChannelAttentionFunction",
    "Mish",
    "MishFunction",
    "MixedPool2d",
    "MixedPool2dFunction",
    "Swish",
    "SwishFunction",
    "WSConv2d",
    "WSConv2dFunction",
]
