"""convkit: convolutional networks from scratch that run fast on the CPU.

- ``convkit.functional``: CS231n-style forward/backward pairs on numpy arrays (compiled kernels inside)
- ``convkit.layers``, ``convkit.optimizers``, ``convkit.callbacks``: the Keras-like building blocks
- ``convkit.Sequential`` / ``convkit.load_model``: compile, fit, evaluate, predict, summary, save
- ``convkit.models``: the classic lab networks; ``convkit.datasets``: embedded digits, MNIST, CIFAR-10
- ``convkit.losses`` (names and loss objects), ``convkit.metrics`` (names, ``confusion_matrix``)
- ``convkit.schedules``: torch's learning-rate schedules; ``convkit.plot``: figures (matplotlib when called)
- ``convkit.interop``: ``to_torch`` / ``from_torch``; imported on first use of ``convkit.interop``, and
  torch only when they are called
"""

import importlib

from . import (
    callbacks,
    datasets,
    functional,
    gradcheck,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    plot,
    schedules,
)
from ._config import show_config
from ._threads import get_num_threads, set_adapt_to_load, set_num_threads
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
    "interop",
    "layers",
    "load_model",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "plot",
    "schedules",
    "set_adapt_to_load",
    "set_num_threads",
    "show_config",
]


def __getattr__(name: str):
    """``convkit.interop`` without importing it by hand (a lazy import: it is not loaded with convkit)."""
    if name == "interop":
        return importlib.import_module(".interop", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
