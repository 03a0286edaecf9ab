"""MNIST and Fashion-MNIST from tiny IDX files: disk layouts, download, offline errors, corrupt files."""

import gzip
import hashlib
import socket

import numpy as np
import pytest

from convkit.datasets import DatasetNotFoundError, load_fashion_mnist, load_mnist
from convkit.datasets import download as download_module
from convkit.datasets import mnist as mnist_module

FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def idx_bytes(array, type_code=0x08):
    """An IDX file: 0, 0, type code, ndim, big-endian uint32 sizes, then the values."""
    header = bytes([0, 0, type_code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + array.tobytes()


@pytest.fixture
def arrays(rng):
    """name -> uint8 array: 3 training and 2 test 28x28 images with their labels."""
    return {
        FILES[0]: rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        FILES[1]: np.array([7, 0, 9], dtype=np.uint8),
        FILES[2]: rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
        FILES[3]: np.array([3, 1], dtype=np.uint8),
    }


def write(folder, arrays, gzipped=True):
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        data = idx_bytes(array)
        if gzipped:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


def assert_loaded(result, arrays):
    (x_train, y_train), (x_test, y_test) = result
    for x, y, images, labels in ((x_train, y_train, *FILES[:2]), (x_test, y_test, *FILES[2:])):
        n = len(arrays[images])
        assert x.shape == (n, 1, 28, 28) and x.dtype == np.float32
        assert y.shape == (n,) and y.dtype == np.int64
        np.testing.assert_array_equal(x[:, 0], arrays[images].astype(np.float32) / 255)
        np.testing.assert_array_equal(y, arrays[labels])


@pytest.mark.parametrize("gzipped", [True, False], ids=["gz", "extracted"])
def test_loads_files_from_the_torchvision_layout(tmp_path, arrays, gzipped):
    write(tmp_path / "MNIST" / "raw", arrays, gzipped)
    assert_loaded(load_mnist(tmp_path, download=False), arrays)


def test_mixed_gz_and_extracted_files(tmp_path, arrays):
    write(tmp_path / "MNIST" / "raw", dict(list(arrays.items())[:2]), gzipped=True)
    write(tmp_path / "MNIST" / "raw", dict(list(arrays.items())[2:]), gzipped=False)
    assert_loaded(load_mnist(str(tmp_path), download=False), arrays)


def test_pixel_range_is_zero_to_one(tmp_path, arrays):
    arrays[FILES[0]][0, 0, :2] = [0, 255]
    write(tmp_path / "MNIST" / "raw", arrays)
    (x_train, _), _ = load_mnist(tmp_path, download=False)
    assert x_train[0, 0, 0, 0] == 0.0 and x_train[0, 0, 0, 1] == 1.0


def test_fashion_mnist_reads_its_own_folder(tmp_path, arrays):
    write(tmp_path / "MNIST" / "raw", arrays)
    with pytest.raises(DatasetNotFoundError):
        load_fashion_mnist(tmp_path, download=False)
    write(tmp_path / "FashionMNIST" / "raw", arrays)
    assert_loaded(load_fashion_mnist(tmp_path, download=False), arrays)


def test_fashion_mnist_without_root_reads_the_debian_package_folder(tmp_path, arrays, monkeypatch):
    monkeypatch.setattr(mnist_module, "DEBIAN_FASHION_MNIST", tmp_path / "debian")
    monkeypatch.setattr(mnist_module, "DEFAULT_ROOT", tmp_path / "home")
    with pytest.raises(DatasetNotFoundError, match="home"):  # no package: the default root is named
        load_fashion_mnist(download=False)
    write(tmp_path / "debian", arrays)
    assert_loaded(load_fashion_mnist(download=False), arrays)


@pytest.mark.skipif(
    not mnist_module.has_idx_files(mnist_module.DEBIAN_FASHION_MNIST),
    reason="the real Fashion-MNIST files are absent: `make data` installs Debian's dataset-fashion-mnist",
)
def test_the_real_fashion_mnist_files():
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(download=False)
    assert x_train.shape == (60000, 1, 28, 28) and x_test.shape == (10000, 1, 28, 28)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() == 1.0
    assert np.bincount(y_train).tolist() == [6000] * 10 and np.bincount(y_test).tolist() == [1000] * 10


def test_offline_error_names_files_folder_and_urls(tmp_path, arrays):
    folder = tmp_path / "MNIST" / "raw"
    write(folder, {FILES[0]: arrays[FILES[0]]})
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(tmp_path, download=False)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "download=False" in message
    assert f"Missing files: {FILES[1]}.gz, {FILES[2]}.gz, {FILES[3]}.gz\n" in message
    assert f"Put them in: {folder}\n" in message
    for name in FILES[1:]:
        for mirror in mnist_module.MNIST_MIRRORS:
            assert f"  {mirror}{name}.gz\n" in message
    assert FILES[0] + ".gz\n" not in message  # present on disk, not asked for


@pytest.fixture
def mirrors(tmp_path, arrays, monkeypatch, serve_folder):
    """Two loopback mirrors: ``bad/`` serves files whose checksum is wrong, ``good/`` the real ones."""
    monkeypatch.setattr(download_module, "TIMEOUT_SECONDS", 5.0)
    site = tmp_path / "site"
    write(site / "good", arrays)
    write(site / "bad", {name: array[::-1] for name, array in arrays.items()})
    checksums = {f"{n}.gz": hashlib.md5((site / "good" / f"{n}.gz").read_bytes()).hexdigest() for n in FILES}
    monkeypatch.setattr(mnist_module, "MNIST_FILES", checksums)
    sizes = {f"{n}.gz": (site / "good" / f"{n}.gz").stat().st_size for n in FILES}
    monkeypatch.setattr(mnist_module, "MNIST_SIZES", sizes)
    base = serve_folder(site)
    return base + "bad/", base + "good/"


def test_download_falls_back_past_a_bad_mirror_and_keeps_the_gz_files(tmp_path, arrays, mirrors, monkeypatch):
    monkeypatch.setattr(mnist_module, "MNIST_MIRRORS", list(mirrors))
    root = tmp_path / "data"
    assert_loaded(load_mnist(root, progress=False), arrays)
    assert sorted(p.name for p in (root / "MNIST" / "raw").iterdir()) == sorted(f"{n}.gz" for n in FILES)
    assert_loaded(load_mnist(root, download=False), arrays)  # second call reads from disk


def test_download_fetches_only_missing_files(tmp_path, arrays, mirrors, monkeypatch):
    monkeypatch.setattr(mnist_module, "MNIST_MIRRORS", [mirrors[1]])
    folder = tmp_path / "MNIST" / "raw"
    write(folder, {FILES[0]: arrays[FILES[0]]}, gzipped=False)
    assert_loaded(load_mnist(tmp_path, progress=False), arrays)
    assert sorted(p.name for p in folder.iterdir()) == sorted([FILES[0]] + [f"{n}.gz" for n in FILES[1:]])


def test_download_failure_reports_each_mirror_and_where_to_put_files(tmp_path, mirrors, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/"
    monkeypatch.setattr(mnist_module, "MNIST_MIRRORS", [mirrors[0], dead])
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(tmp_path / "data", progress=False)
    message = str(info.value)
    assert f"could not download {FILES[0]}.gz from any mirror" in message
    assert f"{mirrors[0]}{FILES[0]}.gz: checksum mismatch" in message
    assert f"{dead}{FILES[0]}.gz: " in message
    assert f"Put them in: {tmp_path / 'data' / 'MNIST' / 'raw'}" in message
    assert list((tmp_path / "data" / "MNIST" / "raw").iterdir()) == []


def corrupt_cases(arrays):
    images, labels = arrays[FILES[0]], arrays[FILES[1]]
    good = idx_bytes(images)
    return {
        "bad magic": (FILES[0], b"\x00\x00\x07\x03" + good[4:], "not an IDX file"),
        "truncated": (FILES[0], good[:-5], "IDX size mismatch"),
        "wrong image size": (FILES[0], idx_bytes(images[:, :27, :27]), r"expected uint8 images of shape"),
        "labels not uint8": (FILES[1], idx_bytes(labels.astype(">i4"), 0x0C), "expected uint8 labels"),
        "label out of range": (FILES[1], idx_bytes(np.array([1, 10, 2], np.uint8)), r"labels must lie in"),
        "count mismatch": (FILES[1], idx_bytes(labels[:2]), "holds 3 images but .* holds 2 labels"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "bad magic",
        "truncated",
        "wrong image size",
        "labels not uint8",
        "label out of range",
        "count mismatch",
    ],
)
def test_corrupt_files_raise_value_error_naming_the_file(tmp_path, arrays, case):
    folder = tmp_path / "MNIST" / "raw"
    write(folder, arrays, gzipped=False)
    name, data, pattern = corrupt_cases(arrays)[case]
    (folder / name).write_bytes(data)
    with pytest.raises(ValueError, match=pattern) as info:
        load_mnist(tmp_path, download=False)
    assert str(folder / name) in str(info.value)


def test_broken_gzip_raises_value_error_naming_the_file(tmp_path, arrays):
    folder = tmp_path / "MNIST" / "raw"
    write(folder, arrays)
    path = folder / f"{FILES[2]}.gz"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match="not a readable gzip file") as info:
        load_mnist(tmp_path, download=False)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"root": None}, "load_mnist: root must be a str or a path. Received: root=None"),
        ({"root": "x", "download": "yes"}, "load_mnist: download must be a bool. Received: download='yes'"),
        ({"root": "x", "progress": 1}, "load_mnist: progress must be a bool. Received: progress=1"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(TypeError, match=message):
        load_mnist(**kwargs)


def test_fashion_mnist_names_itself_in_argument_errors():
    with pytest.raises(TypeError, match="load_fashion_mnist: root must be"):
        load_fashion_mnist(3)
