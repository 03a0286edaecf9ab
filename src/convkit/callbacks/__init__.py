"""Training callbacks with Keras' semantics: hooks that ``Sequential.fit`` calls around epochs and batches.

One callback per module; ``Callback`` (``callback.py``) documents the hooks and what a callback may use
of the model. ``fit`` adds ``History`` (returned) and, with ``verbose=1`` or ``2``, ``ProgbarLogger``
after the callbacks it is given.
"""

from .callback import Callback
from .callback_list import CallbackList
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .history import History
from .learning_rate_scheduler import LearningRateScheduler
from .model_checkpoint import ModelCheckpoint
from .monitor_callback import MonitorCallback
from .progbar_logger import ProgbarLogger
from .reduce_lr_on_plateau import ReduceLROnPlateau
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "Callback",
    "CallbackList",
    "CSVLogger",
    "EarlyStopping",
    "History",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]
