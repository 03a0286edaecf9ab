"""Dtype alignment for hand-written backwards."""

from __future__ import annotations

from functools import reduce

import torch


def promoted(*tensors: torch.Tensor) -> list[torch.Tensor]:
    """``tensors`` cast to their common (widest) dtype.

    Under autocast a forward can mix float32 parameters with bfloat16/float16 activations, while the
    backward runs without autocast; computing it in the common dtype keeps every matmul well typed.
    """
    dtype = reduce(torch.promote_types, (t.dtype for t in tensors))
    return [t.to(dtype) for t in tensors]
