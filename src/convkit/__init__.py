"""convkit: convolutional networks from scratch that run fast on the CPU."""

from . import functional, gradcheck
from ._config import show_config
from ._threads import get_num_threads, set_num_threads
from ._version import __version__

__all__ = [
    "__version__",
    "functional",
    "get_num_threads",
    "gradcheck",
    "set_num_threads",
    "show_config",
]
