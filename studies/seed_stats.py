"""A result over several seeds as mean +- standard deviation, and when two such results are a tie."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import numpy as np


@dataclasses.dataclass(frozen=True)
class Spread:
    """The mean and sample standard deviation (ddof=1; 0 for one seed) of ``n`` seeds' values."""

    mean: float
    std: float
    n: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        values = np.asarray(list(values), dtype=np.float64)
        std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        return cls(float(values.mean()), std, len(values))

    def percent(self) -> str:
        """``"87.6% ± 0.3"`` (the std in percentage points)."""
        return f"{100 * self.mean:.1f}% ± {100 * self.std:.1f}"

    def points(self) -> str:
        """A difference of accuracies in percentage points: ``"+4.2 ± 0.8 points"``."""
        return f"{100 * self.mean:+.1f} ± {100 * self.std:.1f} points"

    def plain(self, digits: int = 3) -> str:
        """``"0.412 ± 0.010"``."""
        return f"{self.mean:.{digits}f} ± {self.std:.{digits}f}"


def tied(a: Spread, b: Spread) -> bool:
    """Whether the means differ by no more than the two spreads together (``|a - b| <= std_a + std_b``):
    such a difference is not called a win."""
    return abs(a.mean - b.mean) <= a.std + b.std


def ranking(spreads: Mapping[str, Spread], text, higher_is_better: bool = True) -> str:
    """The names best first, each with ``text(spread)``, then the pairs whose difference exceeds the
    spread (the rest are ties): ``"Adam 88.1% ± 0.3, Adamax 87.7% ± 0.2, RMSprop 86.4% ± 0.7; beyond the
    spread: Adam > RMSprop, Adamax > RMSprop; the other differences are ties"``."""
    order = sorted(spreads, key=lambda name: spreads[name].mean, reverse=higher_is_better)
    listed = ", ".join(f"{name} {text(spreads[name])}" for name in order)
    clear = [
        f"{better} > {worse}"
        for i, better in enumerate(order)
        for worse in order[i + 1 :]
        if not tied(spreads[better], spreads[worse])
    ]
    pairs = len(order) * (len(order) - 1) // 2
    if not clear:
        every = "the difference is" if pairs == 1 else "every difference is"
        return f"{listed}; {every} a tie (within the spread)"
    if len(clear) == pairs:
        return f"{listed}; every difference exceeds the spread"
    return f"{listed}; beyond the spread: {', '.join(clear)}; the other differences are ties"
