"""The training loop: ``fit`` a classifier with a named optimizer, ``evaluate`` it on a loader."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from convkit._validation import non_negative_float, one_of, positive_float, positive_int

from .checkpoint import PathLike, load_checkpoint, save_checkpoint
from .distributed import all_reduce_, average_buffers, current_context
from .history import History
from .metrics import accuracy, confusion_matrix, macro_f1
from .optimizers import OPTIMIZERS, make_optimizer
from .seeding import get_rng_state, seed_everything, set_rng_state

AMP_MODES = (False, True, "bf16", "fp16")


def resolve_device(device: str | torch.device, where: str = "fit") -> torch.device:
    """For "auto" the current CUDA device if there is one, else the CPU; else ``torch.device(device)``."""
    if isinstance(device, str) and device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(
            f"{where}: device must be 'auto' or a torch device. Received: device={device!r}"
        ) from err
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{where}: CUDA is not available on this machine. Received: device={device!r}")
    if resolved.type == "cuda" and resolved.index is None:
        return torch.device("cuda", torch.cuda.current_device())  # the process's GPU under torchrun
    return resolved


def resolve_amp(amp: bool | str, device: torch.device, where: str = "fit") -> torch.dtype | None:
    """The autocast dtype for ``amp`` (None: full precision).

    True picks bfloat16 where the device supports it and float16 otherwise; float16 needs CUDA.
    """
    one_of(amp, AMP_MODES, "amp", where)
    if amp is False:
        return None
    if amp is True:
        amp = "bf16" if device.type != "cuda" or torch.cuda.is_bf16_supported() else "fp16"
    if amp == "fp16" and device.type != "cuda":
        raise ValueError(
            f"{where}: amp='fp16' needs a CUDA device; use amp='bf16'. Received: device={device}"
        )
    return torch.bfloat16 if amp == "bf16" else torch.float16


@dataclass(frozen=True)
class _Run:
    """Where and how batches run: device, autocast dtype (None: full precision), memory format."""

    device: torch.device
    amp_dtype: torch.dtype | None
    channels_last: bool

    def batch(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images and labels on the device, images in the run's memory format."""
        channels_last = self.channels_last and x.dim() == 4
        memory_format = torch.channels_last if channels_last else torch.contiguous_format
        non_blocking = self.device.type == "cuda"
        x = x.to(self.device, non_blocking=non_blocking, memory_format=memory_format)
        return x, y.to(self.device, non_blocking=non_blocking)

    def autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp_dtype is not None)


def _layer_grad_sq_norms(model: nn.Module) -> dict[str, torch.Tensor]:
    """Squared L2 norm of the gradient of each layer (parameters grouped by their module's name)."""
    squares: dict[str, torch.Tensor] = {}
    for name, p in model.named_parameters():
        if p.grad is not None:
            layer = name.rpartition(".")[0] or name
            square = p.grad.detach().float().pow(2).sum()
            squares[layer] = squares[layer] + square if layer in squares else square
    return squares


class _Tally:
    """Loss sum, sample count and confusion matrix of a pass, kept on the device and summed over processes."""

    def __init__(self, device: torch.device, where: str):
        self.device = device
        self.where = where
        self.loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        self.count = torch.zeros((), dtype=torch.int64, device=device)
        self.confusion: torch.Tensor | None = None  # (classes, classes), sized by the first logits

    def add(self, loss: torch.Tensor, logits: torch.Tensor, targets: torch.Tensor) -> None:
        """``loss`` is the batch mean."""
        if self.confusion is None:
            self.confusion = self._zeros(logits.shape[1])
        self.loss_sum += loss.detach().double() * targets.shape[0]
        self.count += targets.shape[0]
        self.confusion += confusion_matrix(logits.detach().argmax(1), targets, self.confusion.shape[0])

    def _zeros(self, classes: int) -> torch.Tensor:
        return torch.zeros(classes, classes, dtype=torch.int64, device=self.device)

    def reduce(self) -> dict[str, float]:
        """Loss, accuracy and macro-F1 over all processes, plus the global number of samples.

        A process whose shard was empty takes part with zeros, so that the collectives still match.
        """
        classes = torch.tensor(0 if self.confusion is None else self.confusion.shape[0], device=self.device)
        if int(all_reduce_(classes, op="max")) == 0:
            raise ValueError(f"{self.where}: the data loader yielded no batches")
        confusion = self._zeros(int(classes)) if self.confusion is None else self.confusion
        all_reduce_(self.loss_sum)
        all_reduce_(self.count)
        all_reduce_(confusion)
        count = int(self.count)
        return {
            "loss": float(self.loss_sum) / max(count, 1),
            "accuracy": accuracy(confusion),
            "macro_f1": macro_f1(confusion),
            "count": count,
        }


@torch.no_grad()
def _evaluate(model: nn.Module, loader: Iterable, run: _Run, where: str) -> dict[str, float]:
    was_training = model.training
    model.eval()
    tally = _Tally(run.device, where)
    for x, y in loader:
        x, y = run.batch(x, y)
        with run.autocast():
            logits = model(x)
        tally.add(F.cross_entropy(logits.float(), y), logits, y)
    model.train(was_training)
    return tally.reduce()


def _train_epoch(
    net: nn.Module,
    model: nn.Module,
    batches: tqdm,
    opt: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    run: _Run,
    clip_grad_norm: float | None,
    track_grad_norms: bool,
) -> tuple[_Tally, dict[str, float]]:
    """One pass of ``net`` (``model``, DDP-wrapped or not) over ``batches`` (a progress bar, maybe disabled).

    Returns the tally and, with ``track_grad_norms``, each layer's mean gradient norm over the steps.
    """
    net.train()
    tally = _Tally(run.device, "fit")
    norm_sums: dict[str, torch.Tensor] = {}
    steps = 0
    for x, y in batches:
        x, y = run.batch(x, y)
        with run.autocast():
            logits = net(x)
        loss = F.cross_entropy(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        if clip_grad_norm is not None or track_grad_norms:
            scaler.unscale_(opt)  # true gradients for clipping and for the norms
        if track_grad_norms:
            for layer, square in _layer_grad_sq_norms(model).items():
                norm_sums[layer] = norm_sums[layer] + square.sqrt() if layer in norm_sums else square.sqrt()
        if clip_grad_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
        scaler.step(opt)
        scaler.update()
        tally.add(loss, logits, y)
        steps += 1
        if not batches.disable and steps % 10 == 1:
            batches.set_postfix(loss=f"{loss.item():.4f}")
    return tally, {layer: float(total) / steps for layer, total in norm_sums.items()}


def evaluate(
    model: nn.Module,
    loader: Iterable,
    *,
    device: str | torch.device = "auto",
    amp: bool | str = False,
    channels_last: bool = False,
) -> dict[str, float]:
    """Mean cross-entropy ``loss``, ``accuracy``, ``macro_f1`` and sample ``count`` on ``loader``.

    Under ``torchrun`` each process passes its shard and the numbers cover all shards.
    """
    device = resolve_device(device, "evaluate")
    run = _Run(device, resolve_amp(amp, device, "evaluate"), channels_last)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    return _evaluate(model, loader, run, "evaluate")


def fit(
    model: nn.Module,
    train_loader: Iterable,
    val_loader: Iterable | None = None,
    *,
    optimizer: str = "adamax",
    optimizer_options: Mapping[str, Any] | None = None,
    lr: float = 2e-3,
    epochs: int = 10,
    weight_decay: float = 0.0,
    clip_grad_norm: float | None = None,
    amp: bool | str = False,
    device: str | torch.device = "auto",
    channels_last: bool = False,
    seed: int | None = None,
    checkpoint_path: PathLike | None = None,
    resume_from: PathLike | None = None,
    track_grad_norms: bool = False,
    progress: bool = True,
) -> History:
    """Train ``model`` (a classifier returning logits) with cross-entropy; return the ``History``.

    Args:
    - train_loader, val_loader: iterables of ``(images, labels)`` batches. A sampler with ``set_epoch``
      (``DistributedSampler``) is told the epoch before each pass, so the shuffle depends on the epoch.
    - optimizer: a name from ``OPTIMIZERS``, with convkit's meanings ("sgd" plain, "momentum" SGD with
      momentum 0.9, "rmsprop", "adam", "adamax", "adamw"); ``lr``, ``weight_decay`` (on weights with 2+
      dimensions only) and ``optimizer_options`` (other keyword arguments of the torch optimizer, e.g.
      ``{"momentum": 0.9, "nesterov": True}``) configure it.
    - clip_grad_norm: clip the global gradient norm to this value before each step.
    - amp: mixed precision: False, "bf16", "fp16" (CUDA only, with a gradient scaler) or True (bf16 when
      supported, else fp16).
    - device: "auto" (the current CUDA device, else the CPU) or a torch device.
    - channels_last: NHWC memory format for the model and the images (faster convolutions on recent GPUs).
    - seed: seed Python, NumPy and torch before training (see ``seed_everything``).
    - checkpoint_path: after every epoch, write model, optimizer, scaler, history and random state there,
      atomically.
    - resume_from: a checkpoint of an earlier ``fit`` with the same optimizer and options; training
      continues after its last epoch up to ``epochs``, with the saved random state, so that on the same
      hardware the run ends exactly as an uninterrupted one.
    - track_grad_norms: record per-layer gradient norms (``History.grad_norms``).
    - progress: a tqdm bar per epoch and a summary line after it.

    Under ``torchrun`` (an initialized process group) the model is wrapped in DistributedDataParallel;
    each process should get its shard of the data. Metrics cover all processes, BatchNorm statistics are
    averaged across processes after each epoch, and only rank 0 writes checkpoints and logs.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"fit: model must be a torch.nn.Module. Received: model={type(model).__name__}")
    one_of(optimizer, tuple(OPTIMIZERS), "optimizer", "fit")
    epochs = positive_int(epochs, "epochs", "fit")
    lr = positive_float(lr, "lr", "fit")
    weight_decay = non_negative_float(weight_decay, "weight_decay", "fit")
    if clip_grad_norm is not None:
        clip_grad_norm = positive_float(clip_grad_norm, "clip_grad_norm", "fit")
    device = resolve_device(device)
    run = _Run(device, resolve_amp(amp, device), channels_last)
    context = current_context()

    if seed is not None:
        seed_everything(seed)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    opt = make_optimizer(optimizer, model, lr, weight_decay, optimizer_options)
    optimizer_options = dict(optimizer_options or {})
    scaler = torch.amp.GradScaler(device.type, enabled=run.amp_dtype == torch.float16)
    history = History()
    if resume_from is not None:
        checkpoint = load_checkpoint(resume_from, map_location=device)
        if checkpoint["optimizer_name"] != optimizer:
            raise ValueError(
                f"fit: resume_from was trained with optimizer={checkpoint['optimizer_name']!r}. "
                f"Received: optimizer={optimizer!r}"
            )
        trained_options = checkpoint.get("optimizer_options", {})
        if trained_options != optimizer_options:
            raise ValueError(
                f"fit: resume_from was trained with optimizer_options={trained_options!r}. "
                f"Received: optimizer_options={optimizer_options!r}"
            )
        model.load_state_dict(checkpoint["model"])
        opt.load_state_dict(checkpoint["optimizer"])
        scaler.load_state_dict(checkpoint["scaler"])
        history = History.from_dict(checkpoint["history"])
        set_rng_state(checkpoint["rng"])

    net: nn.Module = model
    if context.world_size > 1:
        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    show = progress and context.is_main

    for epoch in range(len(history), epochs):
        sampler = getattr(train_loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)
        batches = tqdm(
            train_loader, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", leave=False, disable=not show
        )
        start = time.perf_counter()
        tally, grad_norms = _train_epoch(
            net, model, batches, opt, scaler, run, clip_grad_norm, track_grad_norms
        )
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        epoch_time = time.perf_counter() - start
        average_buffers(model)
        train = tally.reduce()
        val = _evaluate(model, val_loader, run, "fit") if val_loader is not None else None
        record = {
            "loss": train["loss"],
            "accuracy": train["accuracy"],
            "macro_f1": train["macro_f1"],
            "val_loss": val["loss"] if val else None,
            "val_accuracy": val["accuracy"] if val else None,
            "val_macro_f1": val["macro_f1"] if val else None,
            "epoch_time": epoch_time,
            "images_per_second": train["count"] / epoch_time,
        }
        if track_grad_norms:
            record["grad_norms"] = grad_norms
        history.append(record)

        if context.is_main and checkpoint_path is not None:
            state = {
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "optimizer_name": optimizer,
                "optimizer_options": optimizer_options,
                "scaler": scaler.state_dict(),
                "history": history.to_dict(),
                "rng": get_rng_state(),
            }
            save_checkpoint(checkpoint_path, state)
        if show:
            line = f"epoch {epoch + 1}/{epochs}: loss {train['loss']:.4f} acc {train['accuracy']:.4f}"
            if val:
                line += f" | val loss {val['loss']:.4f} acc {val['accuracy']:.4f} f1 {val['macro_f1']:.4f}"
            tqdm.write(f"{line} | {epoch_time:.1f}s {record['images_per_second']:.0f} img/s")
    return history
