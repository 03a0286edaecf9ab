"""convkit: convolutional networks from scratch that run fast on the CPU.

- ``convkit.functional``: CS231n-style forward/backward pairs on numpy arrays (compiled kernels inside)
- ``convkit.layers``, ``convkit.optimizers``, ``convkit.callbacks``: the Keras-like building blocks
- ``convkit.Sequential`` / ``convkit.load_model``: compile, fit, evaluate, predict, summary, save
- ``convkit.models``: the classic lab networks; ``convkit.datasets``: embedded digits, MNIST, CIFAR-10
- ``convkit.interop``: ``to_torch`` / ``from_torch`` (imports torch only when called)
"""

from . import callbacks, datasets, functional, gradcheck, layers, models, optimizers
from ._config import show_config
from ._threads import get_num_threads, set_num_threads
from ._version import __version__
from ._workspace import empty_cache
from .loading import load_model
from .sequential import Sequential

__all__ = [
    "Sequential",
    "__version__",
    "callbacks",
    "datasets",
    "empty_cache",
    "functional",
    "get_num_threads",
    "gradcheck",
    "layers",
    "load_model",
    "models",
    "optimizers",
    "set_num_threads",
    "show_config",
]
