"""Optimizers with torch.optim's names, arguments, defaults and update rules.

Each optimizer updates the arrays the layers hold in place, from ``(key, param, grad)`` triples given to
``apply_gradients``; ``get`` builds one from a name (``"adam"``) or a ``serialize`` dict. A new optimizer
subclasses ``Optimizer`` and registers itself with ``@register``.
"""

from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .base import Optimizer
from .registry import deserialize, get, register, register_preset, serialize
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "Adamax",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "register",
    "register_preset",
    "serialize",
]
