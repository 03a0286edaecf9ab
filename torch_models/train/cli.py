"""``python -m torch_models.train``: train a model on an image folder or on convkit's digits.

Runs alone or under ``torchrun --nproc_per_node=N`` (DistributedDataParallel, one data shard per
process). Rank 0 writes ``<out-dir>/checkpoint.pt`` after every epoch and ``<out-dir>/results.json``
(arguments, history and a digest of every process's final weights) at the end.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence

from torch import nn

from .. import (
    lenet,
    mlp,
    regularized_residual_cnn,
    residual_cnn,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    simple_cnn,
    wide_resnet18,
)
from .checkpoint import state_dict_digest
from .data import digits_loaders, image_folder_loaders
from .distributed import gather_strings, setup_distributed, teardown_distributed
from .loop import fit
from .optimizers import OPTIMIZERS
from .seeding import seed_everything

RESNETS = {
    "resnet18": resnet18,
    "resnet34": resnet34,
    "resnet50": resnet50,
    "resnet101": resnet101,
    "wide_resnet18": wide_resnet18,
}
SIZED_MODELS = {"lenet": lenet, "mlp": mlp}  # these need the image size
OTHER_MODELS = {
    "simple_cnn": simple_cnn,
    "residual_cnn": residual_cnn,
    "regularized_residual_cnn": regularized_residual_cnn,
}
MODEL_NAMES = sorted([*RESNETS, *SIZED_MODELS, *OTHER_MODELS])
AMP_CHOICES = {"off": False, "auto": True, "bf16": "bf16", "fp16": "fp16"}


def build_model(
    name: str, num_classes: int, in_channels: int, image_size: int, small_input: bool
) -> nn.Module:
    """The model ``name`` (one of ``MODEL_NAMES``) for the given data."""
    if name in RESNETS:
        return RESNETS[name](num_classes, in_channels, small_input=small_input)
    if name in SIZED_MODELS:
        return SIZED_MODELS[name](num_classes, in_channels, image_size)
    if name in OTHER_MODELS:
        return OTHER_MODELS[name](num_classes, in_channels)
    raise ValueError(f"build_model: name must be one of {', '.join(MODEL_NAMES)}. Received: name={name!r}")


def _data_spec(spec: str) -> tuple[str, str | None]:
    """``"digits"`` or ``"imagefolder:PATH"`` as (kind, path)."""
    if spec == "digits":
        return "digits", None
    kind, _, path = spec.partition(":")
    if kind == "imagefolder" and path:
        return kind, path
    raise argparse.ArgumentTypeError(f"expected 'digits' or 'imagefolder:PATH'. Received: {spec!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m torch_models.train",
        description="Train a torch_models model; under torchrun, with DistributedDataParallel.",
    )
    parser.add_argument("--model", choices=MODEL_NAMES, default="resnet50")
    parser.add_argument(
        "--data",
        type=_data_spec,
        required=True,
        help="'digits' or 'imagefolder:PATH' (PATH/train, PATH/test)",
    )
    parser.add_argument(
        "--optimizer",
        choices=sorted(OPTIMIZERS),
        default="adamax",
        help="convkit's names: 'sgd' is plain SGD, 'momentum' SGD with momentum 0.9",
    )
    parser.add_argument("--momentum", type=float, default=None, help="momentum of sgd / momentum / rmsprop")
    parser.add_argument("--nesterov", action="store_true", help="Nesterov momentum (sgd, momentum)")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32, help="per process")
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--clip-grad-norm", type=float, default=None)
    parser.add_argument("--amp", choices=sorted(AMP_CHOICES), default="off", help="mixed precision")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument(
        "--image-size", type=int, default=None, help="default: 224 (image folder), 28 (digits)"
    )
    parser.add_argument("--small-input", action="store_true", help="ResNet stem for 28-64 px images")
    parser.add_argument("--workers", type=int, default=2, help="data-loading processes per training process")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out-dir", default="runs/train", help="checkpoint.pt and results.json go here")
    parser.add_argument("--resume", action="store_true", help="continue from <out-dir>/checkpoint.pt")
    parser.add_argument("--grad-norms", action="store_true", help="record per-layer gradient norms")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars or epoch lines")
    return parser


def optimizer_options(args: argparse.Namespace) -> dict[str, object]:
    """The optimizer keyword arguments given on the command line (none by default)."""
    options: dict[str, object] = {}
    if args.momentum is not None:
        options["momentum"] = args.momentum
    if args.nesterov:
        options["nesterov"] = True
    return options


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    checkpoint_path = os.path.join(args.out_dir, "checkpoint.pt")
    if args.resume and not os.path.isfile(checkpoint_path):
        parser.error(f"--resume: no checkpoint at {checkpoint_path}")
    context = setup_distributed()
    try:
        seed_everything(args.seed)
        kind, path = args.data
        shard = {"seed": args.seed, "rank": context.rank, "world_size": context.world_size}
        if kind == "digits":
            image_size = args.image_size or 28
            loaders = digits_loaders(
                image_size=image_size, batch_size=args.batch_size, workers=args.workers, **shard
            )
        else:
            image_size = args.image_size or 224
            loaders = image_folder_loaders(
                path, image_size=image_size, batch_size=args.batch_size, workers=args.workers, **shard
            )
        model = build_model(
            args.model, loaders.num_classes, loaders.in_channels, image_size, args.small_input
        )
        if context.is_main:
            os.makedirs(args.out_dir, exist_ok=True)
        history = fit(
            model,
            loaders.train,
            loaders.test,
            optimizer=args.optimizer,
            optimizer_options=optimizer_options(args),
            lr=args.lr,
            epochs=args.epochs,
            weight_decay=args.weight_decay,
            clip_grad_norm=args.clip_grad_norm,
            amp=AMP_CHOICES[args.amp],
            device=args.device,
            channels_last=args.channels_last,
            checkpoint_path=checkpoint_path,
            resume_from=checkpoint_path if args.resume else None,
            track_grad_norms=args.grad_norms,
            progress=not args.no_progress,
        )
        digests = gather_strings(state_dict_digest(model))
        if context.is_main:
            results = {
                "args": {**vars(args), "data": ":".join(p for p in args.data if p)},
                "classes": loaders.classes,
                "world_size": context.world_size,
                "history": history.to_dict(),
                "replica_digests": digests,
            }
            with open(os.path.join(args.out_dir, "results.json"), "w") as f:
                json.dump(results, f, indent=2)
    finally:
        teardown_distributed()
    return 0
