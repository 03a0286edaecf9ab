"""CIFAR-10 from the python version of its archive, downloaded from the Toronto site when missing.

On-disk layout (torchvision's): ``root/cifar-10-python.tar.gz`` as published, extracted to
``root/cifar-10-batches-py/`` with ``data_batch_1`` .. ``data_batch_5`` (training) and ``test_batch``.

Each batch is a Python 2 pickle of a dict: ``b"data"`` a uint8 (n, 3072) array, one image per row as the
1024 red, 1024 green then 1024 blue pixels of a 32x32 image in row-major order, and ``b"labels"`` a list
of n ints in 0..9.

Security: unpickling a file can run any code the file names. Batches are read with an unpickler that
resolves only numpy's array constructors (what the real batches use), so a tampered batch fails with
``ValueError`` instead of running code. Before that, every file is checked against its published MD5 (the
archive, downloaded or found on disk, before it is extracted; each batch before it is unpickled), so only
the published files are ever read.
"""

from __future__ import annotations

import codecs
import os
import pickle
import shutil
import tarfile
import zlib
from pathlib import Path

import numpy as np

from .._validation import flag, path_like
from .download import fetch_missing, md5_of

# base URLs tried in order; the archive's URL is mirror + CIFAR10_ARCHIVE
CIFAR10_MIRRORS = ["https://www.cs.toronto.edu/~kriz/"]
CIFAR10_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_SIZE = 170498071  # bytes, the published archive's; a download stops there
BATCHES_FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5")
TEST_BATCH = "test_batch"
BATCH_MD5 = {  # the published batches' checksums, as torchvision lists them
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}

IMAGE_SHAPE = (3, 32, 32)
NUM_CLASSES = 10
CIFAR10_CLASSES = (  # label -> name, as batches.meta lists them
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

Split = tuple[np.ndarray, np.ndarray]


def _latin1_encode(text: str, encoding: str) -> bytes:
    """``_codecs.encode`` as Python 3 pickles of bytes use it (protocol 2), restricted to latin-1."""
    if encoding != "latin1":
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return codecs.encode(text, "latin1")


class _BatchUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals a pickled numpy array needs."""

    _array_reconstruct = np.ndarray.__reduce__(np.empty(0))[0]  # numpy.(_)core.multiarray._reconstruct
    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): _array_reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _array_reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_encode,
    }

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a CIFAR-10 batch")
        return self.ALLOWED[module, name]


def _read_batch(path: Path) -> Split:
    """uint8 (n, 3072) images and int64 (n,) labels of one batch file; ``ValueError`` naming a bad file."""
    with open(path, "rb") as f:
        try:
            batch = _BatchUnpickler(f, encoding="bytes").load()
        except Exception as err:  # a damaged pickle can fail with any of the unpickler's error types
            raise ValueError(f"{path}: not a readable CIFAR-10 batch ({type(err).__name__}: {err})") from err
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise ValueError(f"{path}: a CIFAR-10 batch is a dict with b'data' and b'labels'")
    data, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
    pixels = int(np.prod(IMAGE_SHAPE))
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != pixels:
        raise ValueError(f"{path}: b'data' must be uint8 (n, {pixels}). Received: {data.dtype} {data.shape}")
    if labels.shape != (len(data),) or (labels.size and labels.dtype.kind not in "iu"):
        raise ValueError(
            f"{path}: b'labels' must hold {len(data)} integer labels. Received: {labels.dtype} {labels.shape}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise ValueError(
            f"{path}: labels must lie in [0, {NUM_CLASSES}). Received: {labels.min()}..{labels.max()}"
        )
    return data, labels.astype(np.int64)


def _check_md5(path: Path, md5: str) -> None:
    """``ValueError`` naming ``path`` unless its MD5 is the published ``md5``."""
    actual = md5_of(path)
    if actual != md5:
        raise ValueError(f"{path}: MD5 {actual}, not the published {md5} (a damaged or foreign file)")


def _split(folder: Path, names: tuple[str, ...]) -> Split:
    """float32 (N, 3, 32, 32) in [0, 1] and int64 (N,) from the named batches, in order, each MD5-checked."""
    for name in names:
        _check_md5(folder / name, BATCH_MD5[name])
    batches = [_read_batch(folder / name) for name in names]
    data = np.concatenate([data for data, _ in batches])  # (N, 3072) uint8
    x = data.reshape(len(data), *IMAGE_SHAPE).astype(np.float32)  # (N, 3, 32, 32)
    x /= 255.0
    return x, np.concatenate([labels for _, labels in batches])


def _extract(archive: Path, folder: Path) -> None:
    """Extract the files of ``cifar-10-batches-py/`` from ``archive`` into ``folder``, each atomically.

    Only regular files directly inside that folder are written (no links, no paths leaving it).
    """
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                parent, _, name = member.name.partition("/")
                if not member.isfile() or parent != BATCHES_FOLDER or name in ("", ".", "..") or "/" in name:
                    continue
                part = folder / f"{name}.part"
                try:
                    with tar.extractfile(member) as source, open(part, "wb") as out:
                        shutil.copyfileobj(source, out)
                except BaseException:
                    part.unlink(missing_ok=True)
                    raise
                os.replace(part, folder / name)
    except (tarfile.TarError, EOFError, zlib.error) as err:
        raise ValueError(f"{archive}: not a readable tar.gz archive ({err})") from err
    absent = [name for name in (*TRAIN_BATCHES, TEST_BATCH) if not (folder / name).is_file()]
    if absent:
        raise ValueError(f"{archive}: {BATCHES_FOLDER}/ in the archive lacks {', '.join(absent)}")


def load_cifar10(
    root: str | os.PathLike, download: bool = True, progress: bool = True
) -> tuple[Split, Split]:
    """CIFAR-10 (32x32 colour images, 10 classes) as ``((x_train, y_train), (x_test, y_test))``.

    - x: float32 (N, 3, 32, 32) in [0, 1] (the uint8 pixels / 255); 50,000 training and 10,000 test images
    - y: int64 (N,) labels 0..9 (airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck)
    - reads ``root/cifar-10-batches-py/``; when batches are missing, extracts ``root/cifar-10-python.tar.gz``,
      first downloading it from ``CIFAR10_MIRRORS`` (checked against ``CIFAR10_MD5``) when ``download``,
      with a progress bar on stderr when ``progress``

    Raises ``DatasetNotFoundError`` when the data is missing and cannot be downloaded (the message says
    which file, where to put it and where to get it), ``ValueError`` naming an archive or batch whose MD5
    is not the published one (``CIFAR10_MD5``, ``BATCH_MD5``) or that cannot be read.
    See the module docstring for the pickle security caveat.
    """
    where = "load_cifar10"
    root = path_like(root, "root", where).expanduser().absolute()
    download, progress = flag(download, "download", where), flag(progress, "progress", where)
    folder = root / BATCHES_FOLDER
    if not all((folder / name).is_file() for name in (*TRAIN_BATCHES, TEST_BATCH)):
        archive = root / CIFAR10_ARCHIVE
        fetch_missing(
            "CIFAR-10",
            root,
            {CIFAR10_ARCHIVE: CIFAR10_MD5},
            CIFAR10_MIRRORS,
            download=download,
            progress=progress,
            on_disk=lambda name: (root / name).is_file(),
            absent_reason="download=False and neither the archive nor its extracted batches are on disk",
            note=f"(or the extracted folder {folder}/ with {', '.join((*TRAIN_BATCHES, TEST_BATCH))})",
            sizes={CIFAR10_ARCHIVE: CIFAR10_SIZE},
        )
        _check_md5(archive, CIFAR10_MD5)
        _extract(archive, folder)
    return _split(folder, TRAIN_BATCHES), _split(folder, (TEST_BATCH,))
