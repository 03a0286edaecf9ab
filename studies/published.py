"""Published Fashion-MNIST test accuracies, read from the Benchmark table of the dataset's README.

Debian's ``dataset-fashion-mnist`` installs that README as ``PUBLISHED_README``. A study whose model
matches a row ("2 Conv+pooling", "ResNet18", ...) shows the row beside its own result, via
``published_rows``; where the README is absent the report says so instead.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
from pathlib import Path

PUBLISHED_README = Path("/usr/share/doc/dataset-fashion-mnist/README.md.gz")
TABLE_HEADER = "| Classifier | Preprocessing | Fashion test accuracy |"


@dataclasses.dataclass(frozen=True)
class PublishedResult:
    classifier: str  # e.g. "2 Conv+pooling"
    preprocessing: str  # e.g. "None"
    accuracy: float  # Fashion-MNIST test accuracy, 0..1
    submitter: str  # the name shown in the table, links removed


def _plain(cell: str) -> str:
    """A markdown cell without its link syntax: ``[name](url)`` -> ``name``."""
    cell = cell.strip()
    if cell.startswith("[") and "](" in cell:
        cell = cell[1 : cell.index("](")]
    return cell


def parse_benchmark_table(readme: str) -> list[PublishedResult]:
    """The rows of the README's submitted-benchmarks table (rows whose accuracy is not a number skipped)."""
    lines = readme.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(TABLE_HEADER)), None)
    if start is None:
        return []
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = line.strip().strip("|").split("|")
        if len(cells) < 5:
            continue
        try:
            accuracy = float(cells[2])
        except ValueError:
            continue
        rows.append(PublishedResult(cells[0].strip(), cells[1].strip(), accuracy, _plain(cells[4])))
    return rows


@functools.lru_cache(maxsize=1)
def published_results(path: Path = PUBLISHED_README) -> tuple[PublishedResult, ...]:
    """Every row of the installed README's table; empty when the README is not installed."""
    if not path.is_file():
        return ()
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return tuple(parse_benchmark_table(f.read()))


def published_rows(classifier: str) -> list[PublishedResult]:
    """The published rows for ``classifier`` (an exact Classifier cell, e.g. "2 Conv+pooling")."""
    return [row for row in published_results() if row.classifier == classifier]


def compare_with_published(report, data, ours: list[tuple[str, float, str]]) -> None:
    """Add a table to ``report``: each ``(our model, our test accuracy, classifier)`` beside the published
    rows for ``classifier``. Only Fashion-MNIST has such rows; for other data the section is left out."""
    if not data.is_fashion_mnist:
        return
    if not published_results():
        report.text(
            f"Published Fashion-MNIST results could not be shown: {PUBLISHED_README} is not installed "
            "(`make data` installs it)."
        )
        return
    rows = []
    for model, accuracy, classifier in ours:
        for row in published_rows(classifier) or [PublishedResult(classifier, "", float("nan"), "")]:
            published = f"{row.accuracy:.1%}" if row.submitter else "no such row"
            rows.append(
                [model, f"{accuracy:.1%}", row.classifier, row.preprocessing, published, row.submitter]
            )
    report.table(
        ["our model", "our test accuracy", "published classifier", "preprocessing", "published", "submitter"],
        rows,
        caption="Beside the published Fashion-MNIST results (the dataset README's Benchmark table, "
        "which its authors note they have not verified; epochs and tuning differ)",
    )
