"""The studies' figures: curves pair a model's splits by colour and style, integer epoch ticks."""

from __future__ import annotations

from studies import plots


def test_curves_give_one_colour_per_model_and_one_style_per_split():
    fig = plots.curves(
        {"LeNet train": [1, 2, 3], "LeNet val": [1, 2, 2], "MLP train": [0, 1, 2]}, "t", "accuracy"
    )
    lenet_train, lenet_val, mlp_train = fig.axes[0].get_lines()
    assert lenet_train.get_color() == lenet_val.get_color() != mlp_train.get_color()
    assert lenet_train.get_linestyle() == mlp_train.get_linestyle() != lenet_val.get_linestyle()
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_xticks() if 1 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_bar_labels_are_formatted():
    fig = plots.bar(["convkit", "torch"], [226021.3, 0.51234], "t", "images/s")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["226,021", "0.512"]
