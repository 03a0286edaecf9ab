"""Training losses by name: each maps (prediction, target) to (mean loss, gradient w.r.t. the prediction).

The losses are the functional ones (``convkit.functional.losses``), each registered there beside its code
with ``@register("name")``; a user-defined loss registers itself the same way.
"""

from __future__ import annotations

from .functional.losses import LOSSES, LossFn, register

__all__ = ["LOSSES", "LossFn", "get", "register"]


def get(identifier: str) -> LossFn:
    """The loss function registered under ``identifier``."""
    if identifier not in LOSSES:
        raise ValueError(f"Unknown loss. Expected one of {sorted(LOSSES)}. Received: loss={identifier!r}")
    return LOSSES[identifier]
