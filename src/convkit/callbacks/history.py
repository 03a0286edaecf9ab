"""History: the callback that records every epoch's logs; ``Sequential.fit`` returns it."""

from __future__ import annotations

from .callback import Callback


class History(Callback):
    """``history[key]``: the per-epoch values of ``key`` (``loss``, each metric, ``val_*``, ``lr``).

    ``fit`` runs it after the other callbacks, so it records what they added to the logs.
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"
