"""The studies' shared matplotlib figures (Agg backend: files only, no display needed).

Each function returns a ``Figure`` for ``Report.figure``, which saves it as a PNG and closes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

SPLIT_STYLES = {"train": "-", "val": "--", "validation": "--", "test": ":"}  # one line style per split


def _model_and_split(label: str) -> tuple[str, str | None]:
    """``"LeNet train"`` -> ``("LeNet", "train")``; a label without a split word is its own model."""
    model, _, last = label.rpartition(" ")
    if last in SPLIT_STYLES:
        return model, last
    if label in SPLIT_STYLES:
        return "", label
    return label, None


def _legend_outside(ax) -> None:
    """The legend right of the axes, where it cannot hide a curve (saved with bbox_inches="tight")."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize="small")


def _format_value(value: float) -> str:
    """A bar label: thousands with separators (226,021), smaller values with 3 significant digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def curves(series: Mapping[str, Sequence[float]], title: str, ylabel: str, xlabel: str = "epoch") -> Figure:
    """One line per named series against 1, 2, ... (epochs by default), integer ticks, the legend outside.

    A label ending in a split word ("LeNet train", "LeNet val", "LeNet test") gets its model's colour and
    its split's line style (``SPLIT_STYLES``), so the train and validation curves of one model pair up.
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    colours: dict[str, str] = {}
    for label, values in series.items():
        values = list(values)
        model, split = _model_and_split(label)
        colour = colours.setdefault(model, f"C{len(colours) % 10}")
        ax.plot(
            range(1, len(values) + 1),
            values,
            color=colour,
            linestyle=SPLIT_STYLES.get(split, "-"),
            marker="o" if len(values) <= 40 else None,
            markersize=3,
            label=label,
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if series:
        _legend_outside(ax)
    return fig


def bar(labels: Sequence[str], values: Sequence[float], title: str, ylabel: str) -> Figure:
    """A bar per label, each annotated with its formatted value; long or many labels are slanted."""
    labels = [str(label) for label in labels]
    fig, ax = plt.subplots(figsize=(max(4, 1.3 * len(labels)), 4))
    bars = ax.bar(labels, list(values), color=[f"C{i % 10}" for i in range(len(labels))])
    ax.bar_label(bars, labels=[_format_value(v) for v in values], padding=2, fontsize="small")
    ax.margins(y=0.15)  # room for the labels above the tallest bar
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    if len(labels) > 4 or max(map(len, labels), default=0) > 12:
        ax.tick_params(axis="x", rotation=30)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    return fig


def image_grid(images: np.ndarray, title: str, ncols: int = 8) -> Figure:
    """Images (N, C, H, W) in a grid, each rescaled to [0, 1] on its own; C = 1 in gray, C = 3 as RGB."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"image_grid: images must be (N, 1 or 3, H, W). Received: shape={images.shape}")
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 * ncols, 1.2 * nrows + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image in zip(axes.flat, images):
        low, high = image.min(), image.max()
        image = (image - low) / (high - low) if high > low else np.zeros_like(image)
        if image.shape[0] == 1:
            ax.imshow(image[0], cmap="gray", interpolation="nearest")
        else:
            ax.imshow(image.transpose(1, 2, 0), interpolation="nearest")  # (H, W, 3)
    fig.suptitle(title)
    return fig


def titled(fig: Figure, title: str) -> Figure:
    """``fig`` (one of ``convkit.plot``'s figures) with ``title`` above it."""
    fig.suptitle(title)
    return fig


def layer_profile(series: Mapping[str, Sequence[float]], title: str, ylabel: str) -> Figure:
    """One line per model of a per-layer quantity (input side first) on a log scale, e.g. gradient norms."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in series.items():
        values = list(values)
        ax.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=label)
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.set_xlabel("layer (input side first)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    if series:
        _legend_outside(ax)
    return fig


def bar_with_errors(
    labels: Sequence[str], means: Sequence[float], stds: Sequence[float], title: str, ylabel: str
) -> Figure:
    """A bar per label at its mean, with a +-1 standard deviation error bar, annotated "mean +- std"."""
    labels = [str(label) for label in labels]
    fig, ax = plt.subplots(figsize=(max(4, 1.4 * len(labels)), 4))
    bars = ax.bar(
        labels, list(means), yerr=list(stds), capsize=6, color=[f"C{i % 10}" for i in range(len(labels))]
    )
    ax.bar_label(
        bars,
        labels=[f"{m:.3g}\n± {s:.2g}" for m, s in zip(means, stds)],  # two lines: narrow enough for a bar
        label_type="center",
        fontsize="small" if len(labels) > 5 else None,
        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
    )
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    if len(labels) > 4 or max(map(len, labels), default=0) > 12:
        ax.tick_params(axis="x", rotation=30)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    return fig
