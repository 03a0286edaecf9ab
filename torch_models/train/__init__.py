"""Training for torch_models: ``fit`` / ``evaluate``, checkpoints, seeding, and the CLI.

``python -m torch_models.train --model resnet50 --data imagefolder:PATH --optimizer adamax --epochs 10``
(see ``torch_models.train.cli``); the same command under ``torchrun --nproc_per_node=N`` trains with
DistributedDataParallel.
"""

from .checkpoint import load_checkpoint, save_checkpoint, state_dict_digest
from .data import Loaders, digits_loaders, image_folder_loaders
from .history import History
from .loop import evaluate, fit
from .metrics import accuracy, confusion_matrix, macro_f1
from .optimizers import OPTIMIZERS, make_optimizer
from .seeding import get_rng_state, seed_everything, set_rng_state

__all__ = [
    "OPTIMIZERS",
    "History",
    "Loaders",
    "accuracy",
    "confusion_matrix",
    "digits_loaders",
    "evaluate",
    "fit",
    "get_rng_state",
    "image_folder_loaders",
    "load_checkpoint",
    "macro_f1",
    "make_optimizer",
    "save_checkpoint",
    "seed_everything",
    "set_rng_state",
    "state_dict_digest",
]
