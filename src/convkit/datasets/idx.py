"""The IDX file format of MNIST and Fashion-MNIST, plain or gzipped.

Layout (all integers big-endian): two zero bytes, a type code byte, the number of dimensions ``d``, then
``d`` uint32 sizes, then the values in C order. Images have magic number 2051 (uint8, 3 dimensions) and
labels 2049 (uint8, 1 dimension).
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from typing import BinaryIO

import numpy as np

# type code -> big-endian dtype
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


_CHUNK_BYTES = 16 * 1024 * 1024  # read in pieces: memory follows what the stream holds, not the header


def _read_up_to(f: BinaryIO, count: int) -> bytes:
    """At most ``count`` bytes of ``f``, fewer only at the end of the stream."""
    parts, left = [], count
    while left > 0:
        part = f.read(min(_CHUNK_BYTES, left))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _read_checked(f: BinaryIO, name: str) -> np.ndarray:
    """The array of the IDX stream ``f``: the header first, then exactly the payload it announces."""
    magic = f.read(4)
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in IDX_DTYPES:
        raise ValueError(f"{name}: not an IDX file (magic number {magic.hex() or 'missing'})")
    dtype, ndim = IDX_DTYPES[magic[2]], magic[3]
    sizes = f.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise ValueError(
            f"{name}: IDX header truncated ({4 + len(sizes)} bytes, {ndim} dimensions announced)"
        )
    shape = tuple(int(n) for n in np.frombuffer(sizes, dtype=">u4"))
    header_bytes = 4 + 4 * ndim
    payload = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    data = _read_up_to(f, payload)
    if len(data) < payload:
        raise ValueError(
            f"{name}: IDX size mismatch: header announces shape {shape} ({header_bytes + payload} bytes), "
            f"file holds {header_bytes + len(data)} bytes"
        )
    if f.read(1):  # stop at the announced size: a longer stream is never read in full
        raise ValueError(
            f"{name}: IDX size mismatch: header announces shape {shape} ({header_bytes + payload} bytes), "
            "file holds more"
        )
    values = np.frombuffer(data, dtype=dtype).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in an IDX file (``.gz`` decompressed on the fly), with its native-endian dtype.

    The header is read first and no more than the payload it announces (plus one byte) is read after it,
    so a gzip bomb costs no more memory than its header admits. Raises ``ValueError`` naming the file
    when the header is not IDX or the data size does not match it.
    """
    name = os.fspath(path)
    if not name.endswith(".gz"):
        with open(path, "rb") as f:
            return _read_checked(f, name)
    try:
        with gzip.open(path, "rb") as f:
            return _read_checked(f, name)
    except (OSError, EOFError, zlib.error) as err:  # BadGzipFile is an OSError
        raise ValueError(f"{name}: not a readable gzip file ({err})") from err
