"""The text of ``Sequential.summary()``: a Keras-style table of the layers, then the parameter totals."""

from __future__ import annotations


def _layer_type(layer) -> str:
    """``"Conv2D"``, ``"Conv2D + relu"`` with a fused activation, ``", frozen"`` added when frozen."""
    kind = type(layer).__name__
    activation = getattr(layer, "activation", None)
    if activation:
        kind += f" + {activation}"
    return kind if layer.trainable else f"{kind}, frozen"


def summary_text(model) -> str:
    """The table of a built model: name (type), output shape and parameter count per layer; then Total,
    Trainable (params of trainable layers) and Non-trainable params (those of frozen layers and every
    state array, such as BatchNorm's running statistics), as Keras prints them."""
    rows = [("Layer (type)", "Output Shape", "Param #")]
    shape = model.input_shape
    for layer in model.layers:
        shape = tuple(layer.compute_output_shape(shape))
        rows.append(
            (f"{layer.name} ({_layer_type(layer)})", str((None, *shape)), f"{layer.count_params():,}")
        )
    widths = [max(len(row[i]) for row in rows) + 2 for i in range(3)]
    rule = "=" * sum(widths)
    trainable = sum(layer.count_params() for layer in model.layers if layer.trainable)
    frozen = sum(layer.count_params() for layer in model.layers if not layer.trainable)
    state = sum(int(sum(s.size for s in layer.state.values())) for layer in model.layers)
    lines = [f'Model: "{model.name}"', rule]
    for i, row in enumerate(rows):
        lines.append("".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        lines.append(rule if i == 0 else "-" * sum(widths))
    lines[-1] = rule
    lines += [
        f"Total params: {trainable + frozen + state:,}",
        f"Trainable params: {trainable:,}",
        f"Non-trainable params: {frozen + state:,}",
    ]
    return "\n".join(lines)
