"""The IDX file format of MNIST and Fashion-MNIST, plain or gzipped.

Layout (all integers big-endian): two zero bytes, a type code byte, the number of dimensions ``d``, then
``d`` uint32 sizes, then the values in C order. Images have magic number 2051 (uint8, 3 dimensions) and
labels 2049 (uint8, 1 dimension).
"""

from __future__ import annotations

import gzip
import os
import zlib

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


def _read_bytes(path: str | os.PathLike) -> bytes:
    """The file's contents, decompressed when the name ends in ``.gz``."""
    if not os.fspath(path).endswith(".gz"):
        with open(path, "rb") as f:
            return f.read()
    try:
        with gzip.open(path, "rb") as f:
            return f.read()
    except (OSError, EOFError, zlib.error) as err:  # BadGzipFile is an OSError
        raise ValueError(f"{os.fspath(path)}: not a readable gzip file ({err})") from err


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in an IDX file (``.gz`` decompressed on the fly), with its native-endian dtype.

    Raises ``ValueError`` naming the file when the header is not IDX or the data size does not match it.
    """
    data = _read_bytes(path)
    name = os.fspath(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_DTYPES:
        raise ValueError(f"{name}: not an IDX file (magic number {data[:4].hex() or 'missing'})")
    dtype, ndim = IDX_DTYPES[data[2]], data[3]
    header_bytes = 4 + 4 * ndim
    if len(data) < header_bytes:
        raise ValueError(f"{name}: IDX header truncated ({len(data)} bytes, {ndim} dimensions announced)")
    shape = tuple(int(n) for n in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = header_bytes + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(
            f"{name}: IDX size mismatch: header announces shape {shape} ({expected} bytes), "
            f"file holds {len(data)} bytes"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header_bytes).reshape(shape)
    return values.astype(dtype.newbyteorder("="))
