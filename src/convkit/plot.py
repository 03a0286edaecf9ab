"""Plots of training and of what a CNN learned; each function returns a ``matplotlib.figure.Figure``.

Needs the ``plot`` extra (``pip install "convkit[plot]"``); matplotlib is imported inside each function,
so ``import convkit.plot`` works without it. The figures are made with ``matplotlib.figure.Figure``, not
``pyplot``: no global state, any backend (Agg on a server), ``fig.savefig("loss.png")`` to write one.
In a notebook, a returned figure shows itself as the cell's value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ._validation import check_ndim, float_array


def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError(
            'convkit.plot needs matplotlib: pip install "convkit[plot]" (or pip install matplotlib)'
        ) from err
    return Figure


def history(h, figsize: tuple[float, float] | None = None):
    """One panel per logged quantity (loss, each metric, and lr when a schedule recorded it), over the
    epochs (1-based, integer ticks): training solid, validation (``val_*``) dashed in the same colour.

    ``h`` is the ``History`` that ``fit`` returns or its ``history`` dict ``{key: [value per epoch]}``.
    """
    logs = getattr(h, "history", h)
    if not isinstance(logs, Mapping) or not logs:
        raise TypeError(f"plot.history: h must be a History or a non-empty dict of lists. Received: h={h!r}")
    from matplotlib.ticker import MaxNLocator

    names = [key for key in logs if not key.startswith("val_")]
    names += [key[4:] for key in logs if key.startswith("val_") and key[4:] not in logs]
    fig = _figure_class()(figsize=figsize or (4.5 * len(names), 3.5), layout="constrained")
    for i, name in enumerate(names):
        ax = fig.add_subplot(1, len(names), i + 1)
        for key, style in ((name, "-"), (f"val_{name}", "--")):
            if key in logs:
                values = logs[key]
                label = "validation" if key.startswith("val_") else "training"
                ax.plot(range(1, len(values) + 1), values, style, color="C0", marker=".", label=label)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if name == "lr":
            ax.set_yscale("log")
        if len(ax.get_lines()) > 1:
            ax.legend()
        ax.grid(alpha=0.3)
    return fig


def _grid(images: np.ndarray, padding: int = 1) -> np.ndarray:
    """CS231n's ``visualize_grid``: (N, H, W, C) images, each scaled to [0, 1] on its own, in a square
    grid with ``padding`` pixels of background (0) between them; returns (GH, GW, C)."""
    n, h, w, c = images.shape
    side = math.ceil(math.sqrt(n))
    grid = np.zeros((side * (h + padding) - padding, side * (w + padding) - padding, c))
    for i, image in enumerate(images):
        low, high = image.min(), image.max()
        scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
        r, col = divmod(i, side)
        grid[r * (h + padding) : r * (h + padding) + h, col * (w + padding) : col * (w + padding) + w] = (
            scaled
        )
    return grid


def filters(layer, figsize: tuple[float, float] = (5.0, 5.0)):
    """The filters of a first ``Conv2D`` layer (weights (F, C, KH, KW) with C = 1 (gray) or 3 (RGB)) as
    one image grid, each filter scaled to [0, 1] on its own, as the CS231n lab shows them."""
    weight = getattr(layer, "params", {}).get("weight")
    if weight is None or weight.ndim != 4:
        raise TypeError(f"plot.filters: layer must be a built Conv2D layer. Received: layer={layer!r}")
    if weight.shape[1] not in (1, 3):
        raise ValueError(
            "plot.filters: shows first-layer filters of 1 (gray) or 3 (RGB) input channels. "
            f"Received: weight.shape={weight.shape}"
        )
    grid = _grid(weight.transpose(0, 2, 3, 1).astype(np.float64))  # (F, KH, KW, C)
    fig = _figure_class()(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", interpolation="nearest")
    ax.set_title(f"{layer.name}: {weight.shape[0]} filters {weight.shape[2]}x{weight.shape[3]}")
    ax.axis("off")
    return fig


def _layer_index(model, layer) -> int:
    """The position of ``layer`` (an index, a name or one of the model's layers) in ``model.layers``."""
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        return model.layers.index(model.get_layer(index=int(layer)))
    if isinstance(layer, str):
        return model.layers.index(model.get_layer(name=layer))
    for i, candidate in enumerate(model.layers):
        if candidate is layer:
            return i
    raise ValueError(
        f"plot.feature_maps: layer must be an index, a name or a layer of the model. Received: {layer!r}"
    )


def feature_maps(model, x, layer, max_maps: int = 64, figsize: tuple[float, float] | None = None):
    """The activations (K, h, w) of one layer for one image ``x`` ((C, H, W) or (1, C, H, W)), in eval
    mode: the first ``max_maps`` channels, one small image each, in a square grid.

    ``layer`` is an index into ``model.layers``, a layer name or the layer itself.
    """
    x = float_array(x, "x", "plot.feature_maps", model.dtype)
    x = x[None] if x.ndim == 3 else x
    check_ndim(x, (4,), "x", "plot.feature_maps", "(1, C, H, W) or (C, H, W)")
    if len(x) != 1:
        raise ValueError(f"plot.feature_maps: x must be one image. Received: x.shape={x.shape}")
    index = _layer_index(model, layer)
    if not model.built:
        model.build(x.shape[1:])
    out = x
    for current in model.layers[: index + 1]:
        out = current.forward(out, training=False)
    if out.ndim != 4:
        raise ValueError(
            f"plot.feature_maps: layer {model.layers[index].name} gives outputs of shape {out.shape[1:]}; "
            "feature maps need (K, h, w)."
        )
    maps = out[0, :max_maps]  # (K, h, w)
    side = math.ceil(math.sqrt(len(maps)))
    fig = _figure_class()(figsize=figsize or (1.6 * side, 1.6 * side + 0.4), layout="constrained")
    for k, activation in enumerate(maps):
        ax = fig.add_subplot(side, side, k + 1)
        ax.imshow(activation, cmap="viridis", interpolation="nearest")
        ax.set_title(str(k), fontsize=8)
        ax.axis("off")
    fig.suptitle(f"{model.layers[index].name}: {out.shape[1]} maps {out.shape[2]}x{out.shape[3]}")
    return fig


def confusion_matrix(cm, class_names: Sequence[str] | None = None, figsize: tuple[float, float] = (6.0, 5.0)):
    """A confusion matrix (rows: true class, columns: predicted class) as a heat map with the counts
    written in the cells; ``class_names`` label the axes (default 0, 1, ...)."""
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(
            f"plot.confusion_matrix: cm must be a square 2-D array. Received: cm.shape={cm.shape}"
        )
    n = cm.shape[0]
    names = [str(i) for i in range(n)] if class_names is None else [str(name) for name in class_names]
    if len(names) != n:
        raise ValueError(
            f"plot.confusion_matrix: class_names must hold {n} names. Received: {len(names)} names"
        )
    fig = _figure_class()(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax)
    ax.set_xticks(range(n), names, rotation=45, ha="right")
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = cm.max() / 2 if cm.size else 0
    for (i, j), value in np.ndenumerate(cm):
        text = f"{value:.2f}" if cm.dtype.kind == "f" else f"{value}"
        ax.text(
            j, i, text, ha="center", va="center", color="white" if value > threshold else "black", fontsize=8
        )
    return fig
