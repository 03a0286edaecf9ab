"""A study's write-up: text, tables and figures, saved as ``<out_dir>/<name>/README.md`` plus PNG files."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np


def machine_description() -> str:
    """One line naming the CPU model, cores, Python, numpy, convkit's threads and, if imported, torch."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    import convkit

    parts = [
        cpu,
        f"{os.cpu_count()} cores",
        f"Python {sys.version.split()[0]}",
        f"numpy {np.__version__}",
        f"convkit {convkit.__version__} ({convkit.get_num_threads()} threads)",
    ]
    if "torch" in sys.modules:
        parts.append(f"torch {sys.modules['torch'].__version__}")
    return ", ".join(parts)


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A GitHub markdown table; floats are shown with 4 significant digits."""

    def cell(value) -> str:
        if isinstance(value, (float, np.floating)):
            return f"{value:.4g}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


class Report:
    """Collects a study's sections and writes them.

    ``headline`` is the one figure that ``reports/README.md`` shows for the study (e.g. "test accuracy
    97.8%"). ``settings`` records the data set, seed and hyperparameters; the machine is added on save.
    """

    def __init__(self, name: str, title: str, ctx):
        self.name = name
        self.title = title
        self.ctx = ctx
        self.settings: dict[str, object] = {"mode": ctx.mode, "seed": ctx.seed}
        self.headline = ""
        self.sections: list[str] = []
        self.figures: list[tuple[str, object]] = []
        self.data_descriptions: list[str] = []
        self.started = time.perf_counter()

    def uses(self, data) -> None:
        """Name the data (a ``StudyData``) the study trained on: the settings' ``data`` line and the
        README's Data section (name, source, sizes, class names)."""
        self.settings.setdefault("data", data.name)
        if data.description() not in self.data_descriptions:
            self.data_descriptions.append(data.description())

    def text(self, paragraph: str) -> None:
        self.sections.append(paragraph.strip())

    def table(self, header: list[str], rows: list[list], caption: str = "") -> None:
        self.sections.append((f"**{caption}**\n\n" if caption else "") + markdown_table(header, rows))

    def figure(self, filename: str, fig, caption: str) -> None:
        """A matplotlib figure, saved as ``filename`` (a .png) beside the README."""
        self.figures.append((filename, fig))
        self.sections.append(f"![{caption}]({filename})\n\n*{caption}*")

    def save(self) -> Path:
        """Write README.md, the PNGs and results.json (settings + headline); returns the folder."""
        import matplotlib.pyplot as plt

        folder = Path(self.ctx.out_dir) / self.name
        folder.mkdir(parents=True, exist_ok=True)
        for filename, fig in self.figures:
            fig.savefig(folder / filename, dpi=100, bbox_inches="tight")
            plt.close(fig)
        seconds = time.perf_counter() - self.started
        settings = "\n".join(f"- {key}: {value}" for key, value in self.settings.items())
        body = "\n\n".join(self.sections)
        data = "".join(f"\n\n## Data\n\n{d}" for d in self.data_descriptions[:1]) + "".join(
            f"\n\n{d}" for d in self.data_descriptions[1:]
        )
        readme = (
            f"# {self.title}\n\n**Headline:** {self.headline}\n\n{body}{data}\n\n## Setup\n\n{settings}\n"
            f"- machine: {machine_description()}\n- run time: {seconds:.1f} s\n\n"
            f"Reproduce: `python -m studies run {self.name}"
            f"{'' if self.ctx.mode == 'full' else ' --' + self.ctx.mode}"
            f"{'' if self.ctx.dataset is None else ' --dataset ' + self.ctx.dataset}`\n"
        )
        (folder / "README.md").write_text(readme)
        results = {
            "name": self.name,
            "title": self.title,
            "headline": self.headline,
            "settings": {k: str(v) for k, v in self.settings.items()},
            "seconds": round(seconds, 1),
        }
        (folder / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        return folder
