"""The running mean of the batch logs over an epoch, weighted by batch size: the epoch's logs."""

from __future__ import annotations


class RunningMean:
    """``update(batch_logs, size)`` adds a batch and returns every key's mean over the samples seen."""

    def __init__(self):
        self.totals: dict[str, float] = {}
        self.seen = 0

    def update(self, logs: dict[str, float], size: int) -> dict[str, float]:
        self.seen += size
        for key, value in logs.items():
            self.totals[key] = self.totals.get(key, 0.0) + value * size
        return {key: total / self.seen for key, total in self.totals.items()}
