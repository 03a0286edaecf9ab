"""What a study is told when it runs: the mode, the seed, where data and reports live."""

from __future__ import annotations

import dataclasses
from pathlib import Path

# full: the lab's real sizes; quick: a few minutes at most on 2 cores (the committed reports);
# tiny: seconds, for the test suite (the numbers mean nothing, the pipeline is exercised end to end).
MODES = ("full", "quick", "tiny")


@dataclasses.dataclass(frozen=True)
class StudyContext:
    mode: str = "quick"
    seed: int = 0
    data_root: Path | None = None
    out_dir: Path = Path("reports")
    dataset: str | None = None  # a name of studies.data's loaders; None: Fashion-MNIST if found, else digits

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"StudyContext: mode must be one of {MODES}. Received: mode={self.mode!r}")
        from .data import dataset_names

        if self.dataset is not None and self.dataset not in dataset_names():
            raise ValueError(
                f"StudyContext: dataset must be one of {dataset_names()}. Received: dataset={self.dataset!r}"
            )

    def pick(self, full, quick, tiny):
        """The value for the current mode: ``ctx.pick(full=50, quick=8, tiny=1)``."""
        return {"full": full, "quick": quick, "tiny": tiny}[self.mode]
