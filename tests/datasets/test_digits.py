"""The embedded UCI digits: real data, the documented shapes and split, torch-equal bilinear resizing."""

import numpy as np
import pytest

from convkit.datasets import load_digits, resize_images


def test_load_digits_shapes_dtypes_and_range():
    (x_train, y_train), (x_test, y_test) = load_digits()
    assert x_train.shape == (1438, 1, 28, 28) and x_test.shape == (359, 1, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))


def test_split_is_fixed_stratified_and_disjoint():
    (x_a, y_a), (t_a, _) = load_digits(size=8)
    (x_b, y_b), _ = load_digits(size=8)
    np.testing.assert_array_equal(x_a, x_b)
    np.testing.assert_array_equal(y_a, y_b)
    counts = np.bincount(y_a, minlength=10)
    assert counts.min() >= 139 and counts.max() <= 147  # ~80% of each class (174..183 images per class)
    train_rows = {row.tobytes() for row in x_a.reshape(len(x_a), -1)}
    assert sum(row.tobytes() in train_rows for row in t_a.reshape(len(t_a), -1)) < 5  # only true duplicates


def test_native_size_keeps_the_original_pixel_counts():
    (x, _), _ = load_digits(size=8)
    values = np.unique(np.round(x * 16, 6))
    np.testing.assert_array_equal(values, np.arange(17))


@pytest.mark.parametrize("size", [5, 8, 28, 32])
def test_resize_matches_torch_bilinear(rng, size, torch):
    images = rng.random((3, 8, 8))
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(images)[:, None], size=(size, size), mode="bilinear", align_corners=False
    )[:, 0].numpy()
    np.testing.assert_allclose(resize_images(images, size), expected, atol=1e-12)


@pytest.mark.parametrize(
    ("size", "error"), [(0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError)]
)
def test_bad_size_is_rejected(size, error):
    with pytest.raises(error, match="size must be a positive int"):
        load_digits(size=size)
