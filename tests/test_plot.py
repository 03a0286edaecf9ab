"""convkit.plot: each figure saved to PNG and read back; its axes, labels and sizes."""

import numpy as np
import pytest

import convkit as ck
from convkit import layers, plot

matplotlib = pytest.importorskip("matplotlib", reason="convkit.plot draws with matplotlib (the plot extra)")
from matplotlib.image import imread  # noqa: E402


def saved(fig, path, dpi=50):
    """Write ``fig`` to a PNG and read it back: (height, width, 4) floats in [0, 1]."""
    fig.savefig(path, dpi=dpi)
    image = imread(path)
    width, height = fig.get_size_inches() * dpi
    assert image.shape == (round(height), round(width), 4)
    assert image[..., :3].std() > 0  # something is drawn
    return image


def trained_model(rng):
    model = ck.Sequential(
        [layers.Conv2D(6, 3, activation="relu", input_shape=(3, 8, 8)), layers.Flatten(), layers.Dense(2)]
    )
    model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"])
    x = rng.normal(size=(16, 3, 8, 8)).astype(np.float32)
    history = model.fit(
        x, np.arange(16) % 2, epochs=3, verbose=0, validation_data=(x, np.arange(16) % 2), seed=0
    )
    return model, x, history


def test_history(rng, tmp_path):
    _, _, history = trained_model(rng)
    fig = plot.history(history)
    saved(fig, tmp_path / "history.png")
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
    for ax in axes:
        train, val = ax.get_lines()
        assert train.get_linestyle() == "-" and val.get_linestyle() == "--"
        assert train.get_color() == val.get_color()
        np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
        assert all(float(t).is_integer() for t in ax.get_xticks())
    assert plot.history({"loss": [1.0, 0.5], "lr": [0.1, 0.01]}).get_axes()[1].get_yscale() == "log"
    with pytest.raises(TypeError, match="h must be a History or a non-empty dict"):
        plot.history([1, 2])


def test_filters_grid_normalises_each_filter(rng, tmp_path):
    model, _, _ = trained_model(rng)
    fig = plot.filters(model.layers[0])
    saved(fig, tmp_path / "filters.png")
    (ax,) = fig.get_axes()
    grid = ax.get_images()[0].get_array()
    assert grid.shape == (3 * 3 + 2, 3 * 3 + 2, 3)  # 6 filters in a 3x3 grid of 3x3 with 1-pixel gaps
    first = grid[:3, :3]
    assert first.min() == 0.0 and first.max() == 1.0
    gray = ck.Sequential([layers.Conv2D(4, 5, input_shape=(1, 9, 9))])
    gray.build(seed=0)
    assert plot.filters(gray.layers[0]).get_axes()[0].get_images()[0].get_array().shape == (11, 11)
    with pytest.raises(TypeError, match="layer must be a built Conv2D layer"):
        plot.filters(layers.Dense(3))
    deep = ck.Sequential([layers.Conv2D(4, 3, input_shape=(5, 6, 6))])
    deep.build(seed=0)
    with pytest.raises(ValueError, match=r"weight.shape=\(4, 5, 3, 3\)"):
        plot.filters(deep.layers[0])


def test_feature_maps(rng, tmp_path):
    model, x, _ = trained_model(rng)
    for layer in (0, model.layers[0].name, model.layers[0]):
        fig = plot.feature_maps(model, x[0], layer)
        axes = fig.get_axes()
        assert len(axes) == 6 and axes[0].get_images()[0].get_array().shape == (6, 6)
    np.testing.assert_allclose(
        axes[2].get_images()[0].get_array(), model.layers[0].forward(x[:1])[0, 2], rtol=1e-6
    )
    saved(fig, tmp_path / "maps.png")
    with pytest.raises(ValueError, match="feature maps need"):
        plot.feature_maps(model, x[0], 2)
    with pytest.raises(ValueError, match="x must be one image"):
        plot.feature_maps(model, x[:2], 0)
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        plot.feature_maps(model, x[0], "nope")


def test_confusion_matrix(tmp_path):
    cm = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    fig = plot.confusion_matrix(cm, ["cat", "dog", "frog"])
    saved(fig, tmp_path / "cm.png")
    ax = fig.get_axes()[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "frog"]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    assert [t.get_text() for t in ax.texts] == [str(v) for v in cm.ravel()]
    with pytest.raises(ValueError, match="class_names must hold 3 names"):
        plot.confusion_matrix(cm, ["a", "b"])
    with pytest.raises(ValueError, match="cm must be a square"):
        plot.confusion_matrix(np.zeros((2, 3)))


def test_without_matplotlib_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "convkit\[plot\]"'):
        plot.confusion_matrix(np.eye(2))
