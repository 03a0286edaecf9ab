"""CIFAR-10 from tiny batches in the real pickle and tar.gz formats: disk, archive, download, bad files."""

import hashlib
import io
import os
import pickle
import socket
import tarfile

import numpy as np
import pytest

from convkit.datasets import DatasetNotFoundError, load_cifar10
from convkit.datasets import cifar10 as cifar10_module
from convkit.datasets import download as download_module

TRAIN = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5")
ARCHIVE = "cifar-10-python.tar.gz"


@pytest.fixture
def batches(rng):
    """name -> (uint8 (n, 3072) data, list of n labels): 2 images per training batch, 3 in the test batch."""
    sizes = dict.fromkeys(TRAIN, 2) | {"test_batch": 3}
    return {
        name: (rng.integers(0, 256, (n, 3072), dtype=np.uint8), rng.integers(0, 10, n).tolist())
        for name, n in sizes.items()
    }


def batch_bytes(data, labels):
    """A batch as the real files hold it: a protocol-2 pickle of a dict with bytes keys."""
    batch = {
        b"batch_label": b"a test batch",
        b"labels": labels,
        b"data": data,
        b"filenames": [b"x.png"] * len(data),
    }
    return pickle.dumps(batch, protocol=2)


def write_folder(folder, batches):
    folder.mkdir(parents=True, exist_ok=True)
    for name, (data, labels) in batches.items():
        (folder / name).write_bytes(batch_bytes(data, labels))


def archive_bytes(batches, extra=()):
    """The batches in a tar.gz under ``cifar-10-batches-py/``, plus ``extra`` (name, bytes) members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        members = [(f"cifar-10-batches-py/{name}", batch_bytes(*batch)) for name, batch in batches.items()]
        for name, data in [*members, *extra]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def publish(monkeypatch):
    """``publish(root, batches)``: make the test's files the published ones, as the real files are: the
    MD5s of ``batches`` as pickled, of the batch files under ``root`` and of the archive there go into the
    module's checksum tables."""

    def publish(root, batches):
        table = {name: hashlib.md5(batch_bytes(*batch)).hexdigest() for name, batch in batches.items()}
        folder = root / "cifar-10-batches-py"
        for name in table:
            if (folder / name).is_file():
                table[name] = hashlib.md5((folder / name).read_bytes()).hexdigest()
        monkeypatch.setattr(cifar10_module, "BATCH_MD5", table)
        if (root / ARCHIVE).is_file():
            monkeypatch.setattr(
                cifar10_module, "CIFAR10_MD5", hashlib.md5((root / ARCHIVE).read_bytes()).hexdigest()
            )

    return publish


def assert_loaded(result, batches):
    (x_train, y_train), (x_test, y_test) = result
    for x, y, names in ((x_train, y_train, TRAIN), (x_test, y_test, ("test_batch",))):
        data = np.concatenate([batches[name][0] for name in names])
        labels = sum((batches[name][1] for name in names), [])
        assert x.shape == (len(data), 3, 32, 32) and x.dtype == np.float32
        assert y.shape == (len(data),) and y.dtype == np.int64
        np.testing.assert_array_equal(x.reshape(len(data), 3072), data.astype(np.float32) / 255)
        np.testing.assert_array_equal(y, labels)


def test_loads_the_extracted_batches(tmp_path, batches, publish):
    write_folder(tmp_path / "cifar-10-batches-py", batches)
    publish(tmp_path, batches)
    assert_loaded(load_cifar10(tmp_path, download=False), batches)


def test_reads_batches_pickled_by_numpy_1(tmp_path, batches, publish):
    """The published batches name ``numpy.core.multiarray._reconstruct`` (numpy 2 writes ``numpy._core``)."""
    folder = tmp_path / "cifar-10-batches-py"
    write_folder(folder, batches)
    for name in batches:
        path = folder / name
        path.write_bytes(path.read_bytes().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n"))
    assert b"cnumpy.core.multiarray\n_reconstruct\n" in (folder / "test_batch").read_bytes()
    publish(tmp_path, batches)
    assert_loaded(load_cifar10(tmp_path, download=False), batches)


def test_rows_are_red_then_green_then_blue_planes_in_row_major_order(tmp_path, batches, publish):
    data = batches["data_batch_1"][0]
    data[0, [0, 1, 32, 1024, 2048]] = [10, 20, 30, 40, 50]
    write_folder(tmp_path / "cifar-10-batches-py", batches)
    publish(tmp_path, batches)
    (x_train, _), _ = load_cifar10(tmp_path, download=False)
    image = x_train[0] * 255  # (3, 32, 32)
    np.testing.assert_allclose(
        [image[0, 0, 0], image[0, 0, 1], image[0, 1, 0], image[1, 0, 0], image[2, 0, 0]],
        [10, 20, 30, 40, 50],
        rtol=1e-6,
    )


def test_extracts_an_archive_already_on_disk(tmp_path, batches, publish):
    (tmp_path / ARCHIVE).write_bytes(archive_bytes(batches))
    publish(tmp_path, batches)
    assert_loaded(load_cifar10(tmp_path, download=False), batches)
    assert sorted(os.listdir(tmp_path / "cifar-10-batches-py")) == sorted(batches)


def test_extraction_skips_links_and_paths_outside_the_folder(tmp_path, batches, publish):
    root = tmp_path / "root"
    root.mkdir()
    extra = [("cifar-10-batches-py/../escaped", b"x"), ("../outside", b"x"), ("other/file", b"x")]
    (root / ARCHIVE).write_bytes(archive_bytes(batches, extra))
    publish(root, batches)
    assert_loaded(load_cifar10(root, download=False), batches)
    assert sorted(os.listdir(tmp_path)) == ["root"]
    assert sorted(os.listdir(root)) == sorted([ARCHIVE, "cifar-10-batches-py"])
    assert sorted(os.listdir(root / "cifar-10-batches-py")) == sorted(batches)


def test_offline_error_names_archive_folder_and_url(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        load_cifar10(tmp_path, download=False)
    message = str(info.value)
    assert "download=False" in message
    assert f"Missing files: {ARCHIVE}\n" in message and f"Put them in: {tmp_path}\n" in message
    assert f"  https://www.cs.toronto.edu/~kriz/{ARCHIVE}\n" in message
    assert str(tmp_path / "cifar-10-batches-py") in message and "test_batch" in message


@pytest.fixture
def mirrors(tmp_path, batches, monkeypatch, serve_folder, publish):
    """Two loopback mirrors: ``bad/`` serves an archive with the wrong checksum, ``good/`` the right one."""
    monkeypatch.setattr(download_module, "TIMEOUT_SECONDS", 5.0)
    publish(tmp_path / "data", batches)
    site = tmp_path / "site"
    (site / "good").mkdir(parents=True)
    (site / "bad").mkdir()
    good = archive_bytes(batches)
    (site / "good" / ARCHIVE).write_bytes(good)
    (site / "bad" / ARCHIVE).write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    monkeypatch.setattr(cifar10_module, "CIFAR10_MD5", hashlib.md5(good).hexdigest())
    monkeypatch.setattr(cifar10_module, "CIFAR10_SIZE", len(good))
    base = serve_folder(site)
    return base + "bad/", base + "good/"


def test_download_falls_back_past_a_bad_mirror_then_extracts(tmp_path, batches, mirrors, monkeypatch, capsys):
    monkeypatch.setattr(cifar10_module, "CIFAR10_MIRRORS", list(mirrors))
    root = tmp_path / "data"
    assert_loaded(load_cifar10(root), batches)
    assert sorted(os.listdir(root)) == sorted([ARCHIVE, "cifar-10-batches-py"])
    assert (root / ARCHIVE).read_bytes() == (tmp_path / "site" / "good" / ARCHIVE).read_bytes()
    assert f"{ARCHIVE} [" in capsys.readouterr().err


def test_download_failure_lists_mirrors_and_leaves_nothing(tmp_path, mirrors, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/"
    monkeypatch.setattr(cifar10_module, "CIFAR10_MIRRORS", [mirrors[0], dead])
    root = tmp_path / "data"
    with pytest.raises(DatasetNotFoundError) as info:
        load_cifar10(root, progress=False)
    message = str(info.value)
    assert f"{mirrors[0]}{ARCHIVE}: checksum mismatch" in message and f"{dead}{ARCHIVE}: " in message
    assert f"Put them in: {root}\n" in message
    assert os.listdir(root) == []


class RunsCode:
    def __reduce__(self):
        return (os.mkdir, ("never-created",))


@pytest.mark.parametrize(
    "payload, pattern",
    [
        (lambda good: good[: len(good) // 2], "not a readable CIFAR-10 batch"),
        (lambda good: b"", "not a readable CIFAR-10 batch"),
        (lambda good: pickle.dumps({b"data": RunsCode(), b"labels": []}, 2), "mkdir is not allowed"),
        (lambda good: pickle.dumps([1, 2], 2), "a dict with b'data' and b'labels'"),
        (lambda good: pickle.dumps({b"data": np.zeros((2, 3071), np.uint8), b"labels": [0, 1]}, 2), "3072"),
        (lambda good: pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, 2), "2 integer"),
        (lambda good: pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [10]}, 2), "lie in"),
    ],
    ids=["truncated", "empty", "foreign global", "not a dict", "row length", "label count", "label range"],
)
def test_corrupt_batches_raise_value_error_naming_the_file(
    tmp_path, batches, payload, pattern, monkeypatch, publish
):
    """Even a batch with the published MD5 is unpickled with only numpy's array constructors allowed."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "cifar-10-batches-py"
    write_folder(folder, batches)
    (folder / "data_batch_3").write_bytes(payload((folder / "data_batch_3").read_bytes()))
    publish(tmp_path, batches)
    with pytest.raises(ValueError, match=pattern) as info:
        load_cifar10(tmp_path, download=False)
    assert str(folder / "data_batch_3") in str(info.value)
    assert not (tmp_path / "never-created").exists()


@pytest.mark.parametrize(
    "archive, pattern",
    [(b"not a gzip file", "not a readable tar.gz archive"), (None, "lacks data_batch_4, test_batch")],
    ids=["not a tar.gz", "batches missing"],
)
def test_corrupt_archive_raises_value_error_naming_it(tmp_path, batches, archive, pattern, publish):
    if archive is None:
        archive = archive_bytes({k: v for k, v in batches.items() if k not in ("data_batch_4", "test_batch")})
    (tmp_path / ARCHIVE).write_bytes(archive)
    publish(tmp_path, batches)
    with pytest.raises(ValueError, match=pattern) as info:
        load_cifar10(tmp_path, download=False)
    assert str(tmp_path / ARCHIVE) in str(info.value)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"root": b"bytes"}, "load_cifar10: root must be a str or a path. Received: root=b'bytes'"),
        ({"root": "x", "download": None}, "load_cifar10: download must be a bool. Received: download=None"),
        ({"root": "x", "progress": "no"}, "load_cifar10: progress must be a bool. Received: progress='no'"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(TypeError, match=message):
        load_cifar10(**kwargs)


def test_a_batch_on_disk_with_another_md5_is_never_unpickled(tmp_path, batches, monkeypatch, publish):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "cifar-10-batches-py"
    write_folder(folder, batches)
    publish(tmp_path, batches)
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": RunsCode(), b"labels": []}, 2))
    with pytest.raises(ValueError, match="MD5 .*, not the published") as info:
        load_cifar10(tmp_path, download=False)
    assert str(folder / "test_batch") in str(info.value)
    assert not (tmp_path / "never-created").exists()


def test_an_archive_on_disk_with_another_md5_is_never_extracted(tmp_path, batches, publish):
    (tmp_path / ARCHIVE).write_bytes(archive_bytes(batches))
    publish(tmp_path, batches)
    (tmp_path / ARCHIVE).write_bytes(archive_bytes(batches, [("cifar-10-batches-py/extra", b"x")]))
    with pytest.raises(ValueError, match="MD5 .*, not the published") as info:
        load_cifar10(tmp_path, download=False)
    assert str(tmp_path / ARCHIVE) in str(info.value)
    assert os.listdir(tmp_path) == [ARCHIVE]
