"""Process-group set-up for ``torchrun`` and the few collectives the trainer needs."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class DistributedContext:
    """Where this process sits: its global ``rank`` among ``world_size`` processes, and its GPU index."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0, the only process that writes checkpoints and logs."""
        return self.rank == 0


def setup_distributed() -> DistributedContext:
    """Join the process group that ``torchrun`` describes in the environment (nothing to do without it).

    The backend is nccl when CUDA is available (one GPU per process, ``LOCAL_RANK``), gloo on the CPU.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return DistributedContext()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        backend = "nccl"
    else:
        backend = "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return DistributedContext(rank=dist.get_rank(), world_size=dist.get_world_size(), local_rank=local_rank)


def teardown_distributed() -> None:
    """Leave the process group, if one was joined: all together, after a barrier. (A rank that tore its
    gloo connections down while rank 0 was still writing its results made rank 0 abort at exit, now and
    then: "terminate called without an active exception".)"""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def current_context() -> DistributedContext:
    """The context of an already initialized process group (rank 0 of 1 without one)."""
    if dist.is_available() and dist.is_initialized():
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        return DistributedContext(dist.get_rank(), dist.get_world_size(), local_rank)
    return DistributedContext()


def all_reduce_(tensor: torch.Tensor, op: str = "sum") -> torch.Tensor:
    """``tensor`` reduced (``"sum"`` or ``"max"``) over all processes, in place; unchanged in one process."""
    if current_context().world_size > 1:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM if op == "sum" else dist.ReduceOp.MAX)
    return tensor


def average_buffers(model: nn.Module) -> None:
    """Make buffers equal on every process: float buffers (BatchNorm running statistics) are averaged,
    others (step counters, equal already) are taken from rank 0.

    DDP only keeps parameters in sync; each process updates running statistics from its own batches.
    """
    world_size = current_context().world_size
    if world_size == 1:
        return
    for buffer in model.buffers():
        if buffer.is_floating_point():
            dist.all_reduce(buffer, op=dist.ReduceOp.SUM)
            buffer.div_(world_size)
        else:
            dist.broadcast(buffer, src=0)


def gather_strings(value: str) -> list[str]:
    """``value`` from every process, in rank order."""
    world_size = current_context().world_size
    if world_size == 1:
        return [value]
    gathered: list[str] = [""] * world_size
    dist.all_gather_object(gathered, value)
    return gathered
