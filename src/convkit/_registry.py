"""The one rule every registry of convkit follows (layers, optimizers, losses, metrics, activations,
initializers): a name holds one entry; registering the same entry again is harmless, another one is an
error, so that a module imported twice or a typo in a decorator cannot silently replace a built-in."""

from __future__ import annotations

from typing import Any


def add(table: dict[str, Any], name: str, entry: Any, kind: str, where: str = "register") -> None:
    """``table[name] = entry``, unless another entry (``!=``) is registered as ``name``: ValueError."""
    known = table.get(name)
    if known is not None and known != entry:
        raise ValueError(f"{where}: another {kind} is already registered as {name!r}: {known!r}")
    table[name] = entry
