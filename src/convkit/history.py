"""What ``Sequential.fit`` returns: the per-epoch logs, Keras' ``History``."""

from __future__ import annotations


class History:
    """``history[key]``: the per-epoch values of ``key`` (``loss``, each metric, ``val_*``, ``lr``)."""

    def __init__(self, params: dict | None = None):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params = dict(params or {})

    def record(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"
