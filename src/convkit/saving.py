"""The model file format: one ``.npz`` holding a JSON header and named arrays; it knows nothing of models.

Layout of the archive (numpy's zip of ``.npy`` members, read with ``allow_pickle=False``):
- ``__model__``: a JSON string with the format name and version and the caller's content; for a
  ``Sequential`` that is the architecture (``get_config``), the built input shape and the compile settings
  (optimizer config, loss, metrics).
- every other member is an array by name; for a ``Sequential``: ``params/{layer}/{name}`` and
  ``state/{layer}/{name}`` (every layer's trainable and non-trainable arrays) and ``optimizer/iterations``,
  ``optimizer/{param}/{slot}`` (``Optimizer.get_state``).

The file is written to a temporary file beside the target and renamed over it, so a crash never leaves a
half-written model (``write``); a truncated or corrupted file raises ``ValueError`` naming the file
(``read``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import secrets
import time
import zipfile
from collections.abc import Mapping

import numpy as np

FORMAT = "convkit.Sequential"
FORMAT_VERSION = 1
HEADER = "__model__"
MAX_SAMPLE_ELEMENTS = 2**28  # the largest input or layer output, per sample, a file may describe
TEMPORARY_SUFFIX = ".convkit.tmp"
STALE_SECONDS = 3600  # a temporary this old belongs to a save that was killed


def write(path, content: dict, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``content`` (JSON-ready) and ``arrays`` to ``path`` atomically.

    The bytes go to a temporary file beside the target, ``.{name}.{random}.convkit.tmp``, created with
    mode ``0o666`` less the umask (as ``open`` would create the target), synced, then renamed over the
    target. A save killed midway leaves its temporary behind; the next save to the same target removes
    those older than ``STALE_SECONDS``. A missing folder raises ``FileNotFoundError`` naming the target.
    """
    header = {"format": FORMAT, "version": FORMAT_VERSION, **content}
    members = {**arrays, HEADER: np.array(json.dumps(header))}
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"save: no folder {directory!r} to write", path)
    _remove_stale_temporaries(directory, name)
    fd, tmp_path = _create_temporary(directory, name)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **members)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_path)
        raise


def _create_temporary(directory: str, name: str) -> tuple[int, str]:
    """``(fd, path)`` of a new empty temporary file for the target ``name``; ``os.open`` applies the umask."""
    while True:
        tmp_path = os.path.join(directory, f".{name}.{secrets.token_hex(8)}{TEMPORARY_SUFFIX}")
        try:
            return os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp_path
        except FileExistsError:
            continue


def _remove_stale_temporaries(directory: str, name: str) -> None:
    """Remove the temporaries of target ``name`` older than ``STALE_SECONDS`` (saves that were killed)."""
    prefix, deadline = f".{name}.", time.time() - STALE_SECONDS
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.startswith(prefix) and entry.name.endswith(TEMPORARY_SUFFIX):
                with contextlib.suppress(OSError):  # another save may be removing it too
                    if entry.stat(follow_symlinks=False).st_mtime < deadline:
                        os.unlink(entry.path)


def sample_shape(value, name: str) -> tuple[int, ...]:
    """``value`` (a shape without batch, read from a file) as a tuple of positive ints holding at most
    ``MAX_SAMPLE_ELEMENTS``, else ``ValueError``."""
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in value
    ):
        raise ValueError(f"{name} must be a list of positive ints. Received: {name}={value!r}")
    if math.prod(value) > MAX_SAMPLE_ELEMENTS:
        raise ValueError(
            f"{name} must hold at most {MAX_SAMPLE_ELEMENTS} elements per sample. Received: {name}={value!r}"
        )
    return tuple(value)


def check_arrays(arrays: Mapping[str, np.ndarray], expected: Mapping[str, np.ndarray]) -> None:
    """``ValueError`` unless ``arrays`` has exactly the names of ``expected``, each of its shape and dtype."""
    if arrays.keys() != expected.keys():
        missing, extra = sorted(expected.keys() - arrays.keys()), sorted(arrays.keys() - expected.keys())
        raise ValueError(f"the arrays do not match the architecture: missing {missing}, unexpected {extra}")
    for name, array in arrays.items():
        want = expected[name]
        if array.shape != want.shape or array.dtype != want.dtype:
            raise ValueError(
                f"array {name!r} must have shape {want.shape} and dtype {want.dtype}. "
                f"Received: shape {array.shape}, dtype {array.dtype}"
            )


def read(path) -> tuple[dict, dict[str, np.ndarray]]:
    """``(header, arrays)`` of the file at ``path``; the header holds ``write``'s content.

    An error of the operating system opening the file (``FileNotFoundError``, ``PermissionError``) is raised
    as is; any other failure (a truncated or corrupted archive, a CRC mismatch, a member that is not a
    plain ``.npy`` array of the size it announces) raises ``ValueError`` naming the file. Nothing is
    allocated beyond the bytes the file holds.
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        try:
            arrays = _read_members(file, os.fstat(file.fileno()).st_size)
            header = json.loads(str(arrays.pop(HEADER)))
        except Exception as err:  # whatever a corrupted file makes zipfile, numpy or json raise
            raise ValueError(
                f"load_model: {path} is not a readable convkit model file (truncated or corrupted?): "
                f"{type(err).__name__}: {err}"
            ) from err
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"load_model: {path} is not a convkit model file (no '{FORMAT}' header).")
    if header.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"load_model: {path} has format version {header.get('version')}; "
            f"this convkit reads {FORMAT_VERSION}."
        )
    return header, arrays


def _read_members(file, file_size: int) -> dict[str, np.ndarray]:
    """Every member of the zip ``file`` as an array by name, each checked before its bytes are read."""
    arrays = {}
    with zipfile.ZipFile(file) as archive:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            if name == info.filename or name in arrays:
                raise ValueError(f"member {info.filename!r} is not a single .npy array")
            if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
                raise ValueError(f"member {info.filename!r} is compressed or encrypted")
            if info.file_size > file_size:
                raise ValueError(f"member {info.filename!r} claims {info.file_size} bytes")
            with archive.open(info) as member:
                arrays[name] = _read_npy(member, info)
    return arrays


def _read_npy(member, info: zipfile.ZipInfo) -> np.ndarray:
    """The array of one ``.npy`` member whose header must announce exactly the member's size."""
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(member)
    else:
        raise ValueError(f"member {info.filename!r} has .npy version {version}")
    if dtype.kind not in "biufU" or dtype.fields is not None or dtype.subdtype is not None:
        raise ValueError(f"member {info.filename!r} has dtype {dtype}")
    nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if member.tell() + nbytes != info.file_size:
        raise ValueError(f"member {info.filename!r} announces {nbytes} bytes of data for shape {shape}")
    data = member.read(nbytes)
    if len(data) != nbytes or member.read(1):  # reading to the end checks the member's CRC
        raise ValueError(f"member {info.filename!r} does not hold the bytes it announces")
    array = np.frombuffer(bytearray(data), dtype=dtype)
    return array.reshape(shape, order="F" if fortran_order else "C")
