"""Fetch a dataset's missing files from a list of mirrors: stream each to ``name.part``, check its MD5, then
rename it into place. ``fetch_missing`` is the one flow every downloadable loader runs (missing files,
``download=False``, download, not found); ``download_file`` fetches one file.

A file is either absent or complete: the bytes go to ``<name>.part`` next to the destination and only a
download whose size and checksum are right is renamed (``os.replace``, atomic on one filesystem) to the
final name. A broken connection, a wrong checksum or an interrupt deletes the part file.

A download is bounded: each read waits at most ``TIMEOUT_SECONDS``, a whole file at most
``DEADLINE_SECONDS`` (a server dripping bytes is dropped), and no more than the file's published size is
read (a server sending more, or announcing more, is dropped at once).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .._version import __version__
from .errors import DatasetNotFoundError, DownloadError
from .progress import DownloadProgressBar

TIMEOUT_SECONDS = 30.0  # the longest wait for one read
DEADLINE_SECONDS = 3600.0  # the longest time one file's download from one mirror may take
CHUNK_BYTES = 1 << 16


def md5_of(path: str | os.PathLike) -> str:
    """Hex MD5 of a file's contents."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url: str, part: Path, md5: str, progress: bool, size: int | None) -> None:
    """Stream ``url`` into ``part``; raise ``OSError`` on a short or oversized body, past the deadline, or on
    a checksum mismatch."""
    request = urllib.request.Request(url, headers={"User-Agent": f"convkit/{__version__}"})
    digest = hashlib.md5(usedforsecurity=False)
    deadline = time.monotonic() + DEADLINE_SECONDS
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response, open(part, "wb") as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if size is not None and total is not None and total != size:
            raise OSError(f"the server announces {total} bytes; the published file has {size}")
        bar = DownloadProgressBar(part.stem, total) if progress else None
        received = 0
        try:
            # read1: whatever one read of the socket brings, so that the deadline is checked between reads
            for chunk in iter(lambda: response.read1(CHUNK_BYTES), b""):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
                if size is not None and received > size:
                    raise OSError(f"the server sent more than the published {size} bytes")
                if time.monotonic() > deadline:
                    raise OSError(f"the download took longer than {DEADLINE_SECONDS} s ({received} bytes)")
        finally:
            if bar is not None:
                bar.close()
        out.flush()
        os.fsync(out.fileno())
    expected = total if total is not None else size
    if expected is not None and received != expected:
        raise OSError(f"connection closed after {received} of {expected} bytes")
    if digest.hexdigest() != md5:
        raise OSError(f"checksum mismatch: MD5 {digest.hexdigest()}, expected {md5}")


def download_file(
    mirrors: Sequence[str],
    filename: str,
    folder: Path,
    md5: str,
    progress: bool = True,
    size: int | None = None,
) -> Path:
    """Download ``filename`` into ``folder``, trying ``mirror + filename`` for each mirror in turn.

    Mirrors are base URLs ending in ``/``. Returns the path of the verified file; raises ``DownloadError``
    listing every mirror's failure when none delivers a complete file with the expected MD5 (and ``size``
    in bytes, the published size: no more is read). Each read times out after ``TIMEOUT_SECONDS`` without
    data, each mirror's download after ``DEADLINE_SECONDS``. A progress bar goes to stderr when
    ``progress``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / filename
    part = folder / f"{filename}.part"
    failures = []
    for mirror in mirrors:
        url = mirror + filename
        try:
            _fetch(url, part, md5, progress, size)
        except (OSError, http.client.HTTPException) as err:  # URLError, timeouts and resets are OSErrors
            part.unlink(missing_ok=True)
            failures.append(f"  {url}: {err}")
            continue
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        os.replace(part, destination)
        return destination
    raise DownloadError(f"could not download {filename} from any mirror:\n" + "\n".join(failures))


def fetch_missing(
    dataset: str,
    folder: Path,
    files: Mapping[str, str],
    mirrors: Sequence[str],
    *,
    download: bool,
    progress: bool,
    on_disk: Callable[[str], bool],
    absent_reason: str,
    note: str = "",
    sizes: Mapping[str, int] | None = None,
) -> None:
    """Download into ``folder`` each published file of ``files`` (name -> MD5) that ``on_disk`` says is
    missing, so that afterwards all of them are on disk.

    Raises ``DatasetNotFoundError`` naming the files still missing, ``folder`` and the URLs to get them
    from: with ``absent_reason`` when ``download`` is False, else with every mirror's failure. ``note`` is
    the message's last line (e.g. which extracted files would do as well); ``sizes`` the published sizes
    in bytes (name -> size), no more of a file is downloaded.
    """

    def not_found(reason: str) -> DatasetNotFoundError:
        missing = [name for name in files if not on_disk(name)]
        urls = [mirror + name for name in missing for mirror in mirrors]
        return DatasetNotFoundError.for_files(dataset, folder, missing, urls, reason, note)

    missing = [name for name in files if not on_disk(name)]
    if missing and not download:
        raise not_found(absent_reason)
    for name in missing:
        try:
            download_file(mirrors, name, folder, files[name], progress, (sizes or {}).get(name))
        except DownloadError as err:
            raise not_found(str(err)) from err
