"""The IDX reader: values and dtypes round-trip, the header is checked before the payload is read, and a
stream longer than its header announces (a gzip bomb) is never decompressed in full."""

import gzip
import re
import tracemalloc
import zlib

import numpy as np
import pytest

from convkit.datasets.idx import read_idx


def header(type_code: int, shape: tuple[int, ...]) -> bytes:
    return bytes([0, 0, type_code, len(shape)]) + np.asarray(shape, dtype=">u4").tobytes()


def write(path, data: bytes):
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


@pytest.fixture(params=["data.idx.gz", "data.idx"], ids=["gz", "extracted"])
def path(tmp_path, request):
    return tmp_path / request.param


@pytest.mark.parametrize("type_code, dtype", [(0x08, np.uint8), (0x0C, ">i4"), (0x0E, ">f8")])
def test_values_round_trip_in_native_byte_order(path, rng, type_code, dtype):
    array = rng.integers(-100, 100, (3, 4, 5)).astype(dtype if type_code != 0x08 else np.uint8)
    result = read_idx(write(path, header(type_code, array.shape) + array.tobytes()))
    np.testing.assert_array_equal(result, array)
    assert result.dtype.isnative and result.dtype == np.dtype(dtype).newbyteorder("=")


def test_a_gzip_bomb_is_not_decompressed_in_full(tmp_path):
    # 4 announced bytes followed by 32 MB of zeros (32 KB compressed)
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)  # wbits 31: a gzip stream
    parts = [compressor.compress(header(0x08, (2, 2)) + bytes(4))]
    zeros = bytes(1024 * 1024)
    parts += [compressor.compress(zeros) for _ in range(32)]
    bomb = tmp_path / "train-images-idx3-ubyte.gz"
    bomb.write_bytes(b"".join(parts) + compressor.flush())
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz: IDX size mismatch"):
            read_idx(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024  # the reader stopped one byte past the announced payload


def test_a_shape_whose_byte_count_overflows_64_bits_is_a_size_mismatch(path):
    # 2**31 * 2**31 * 4 bytes wraps to 0 in int64: it must not pass for an empty payload
    path = write(path, header(0x08, (2**31, 2**31, 4)))
    message = rf"{re.escape(path.name)}: IDX size mismatch: .* shape \(2147483648, 2147483648, 4\)"
    with pytest.raises(ValueError, match=message):
        read_idx(path)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "not an IDX file"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", "not an IDX file"),
        (b"\x00\x00\x08\x03\x00\x00", r"IDX header truncated \(6 bytes, 3 dimensions"),
        (header(0x08, (2, 3)) + bytes(5), r"IDX size mismatch: .* \(18 bytes\), file holds 17 bytes"),
        (header(0x08, (2, 3)) + bytes(7), r"IDX size mismatch: .* \(18 bytes\), file holds more"),
    ],
    ids=["empty", "bad type code", "header truncated", "payload short", "payload long"],
)
def test_a_malformed_file_raises_value_error_naming_it(path, data, message):
    with pytest.raises(ValueError, match=rf"{re.escape(path.name)}: {message}"):
        read_idx(write(path, data))
