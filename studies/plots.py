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


def curves(series: Mapping[str, Sequence[float]], title: str, ylabel: str, xlabel: str = "epoch") -> Figure:
    """One line per named series against 1, 2, ... (epochs by default), with markers and a legend."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in series.items():
        values = list(values)
        ax.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=label)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if series:
        ax.legend()
    return fig


def bar(labels: Sequence[str], values: Sequence[float], title: str, ylabel: str) -> Figure:
    """A bar per label, each annotated with its value."""
    fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(labels)), 4))
    bars = ax.bar([str(label) for label in labels], list(values), color="tab:blue")
    ax.bar_label(bars, fmt="%.3g")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    if len(labels) > 4:
        ax.tick_params(axis="x", rotation=30)
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
    ax.set_title(title)
    ax.set_xlabel("layer (input side first)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    if series:
        ax.legend(fontsize="small")
    return fig


def bar_with_errors(
    labels: Sequence[str], means: Sequence[float], stds: Sequence[float], title: str, ylabel: str
) -> Figure:
    """A bar per label at its mean, with a +-1 standard deviation error bar, annotated "mean +- std"."""
    fig, ax = plt.subplots(figsize=(max(4, 1.4 * len(labels)), 4))
    bars = ax.bar([str(label) for label in labels], list(means), yerr=list(stds), capsize=6, color="tab:blue")
    ax.bar_label(
        bars,
        labels=[f"{m:.3g} ± {s:.2g}" for m, s in zip(means, stds)],
        label_type="center",
        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"},
    )
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    return fig
