"""The model file format: one ``.npz`` holding a JSON header and named arrays; it knows nothing of models.

Layout of the archive (numpy's zip of ``.npy`` members, read with ``allow_pickle=False``):
- ``__model__``: a JSON string with the format name and version and the caller's content; for a
  ``Sequential`` that is the architecture (``get_config``), the built input shape and the compile settings
  (optimizer config, loss, metrics).
- every other member is an array by name; for a ``Sequential``: ``params/{layer}/{name}`` and
  ``state/{layer}/{name}`` (every layer's trainable and non-trainable arrays) and ``optimizer/iterations``,
  ``optimizer/{param}/{slot}`` (``Optimizer.get_state``).

The file is written to a temporary file beside the target and renamed over it, so a crash never leaves a
half-written model; a truncated or corrupted file raises ``ValueError`` naming the file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import zipfile
from collections.abc import Mapping

import numpy as np

FORMAT = "convkit.Sequential"
FORMAT_VERSION = 1
HEADER = "__model__"
MAX_SAMPLE_ELEMENTS = 2**28  # the largest input or layer output, per sample, a file may describe


def write(path, content: dict, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``content`` (JSON-ready) and ``arrays`` to ``path`` atomically."""
    header = {"format": FORMAT, "version": FORMAT_VERSION, **content}
    members = {**arrays, HEADER: np.array(json.dumps(header))}
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(dir=directory, prefix=".convkit-", suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **members)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        os.unlink(tmp_path)
        raise


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
