"""Measurements the torch studies share: predictions, inference time, accuracy on a loader, feature maps."""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader


@torch.no_grad()
def predictions(model: nn.Module, loader: DataLoader, device: str) -> tuple[np.ndarray, np.ndarray]:
    """(predicted, true) labels over ``loader``, in eval mode."""
    model.eval().to(device)
    predicted, true = [], []
    for x, y in loader:
        predicted.append(model(x.to(device)).argmax(1).cpu())
        true.append(y)
    return torch.cat(predicted).numpy(), torch.cat(true).numpy()


def accuracy_on(model: nn.Module, loader: DataLoader, device: str) -> float:
    """Share of correctly classified images of ``loader`` in eval mode (no dropout, BN running stats)."""
    predicted, true = predictions(model, loader, device)
    return float((predicted == true).mean())


@torch.no_grad()
def inference_ms_per_image(model: nn.Module, loader: DataLoader, device: str) -> float:
    """Milliseconds per image of an eval-mode forward pass over ``loader`` (after one warm-up batch)."""
    model.eval().to(device)
    batches = [x.to(device) for x, _ in loader]
    model(batches[0])
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for x in batches:
        model(x)
    if device == "cuda":
        torch.cuda.synchronize()
    return 1000 * (time.perf_counter() - start) / sum(len(x) for x in batches)


@torch.no_grad()
def outputs_of(model: nn.Module, modules: list[nn.Module], x: torch.Tensor) -> list[torch.Tensor]:
    """The outputs of ``modules`` (submodules of ``model``) when ``model`` runs on ``x`` in eval mode."""
    model.eval()
    outputs: list[torch.Tensor] = [torch.empty(0)] * len(modules)

    def keeper(i: int):
        def keep(module: nn.Module, inputs, output: torch.Tensor) -> None:
            outputs[i] = output.detach().cpu().clone()

        return keep

    handles = [m.register_forward_hook(keeper(i)) for i, m in enumerate(modules)]
    try:
        model(x.to(next(model.parameters()).device))
    finally:
        for handle in handles:
            handle.remove()
    return outputs
