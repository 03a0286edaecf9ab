"""Fetch a dataset's missing files from a list of mirrors: stream each to ``name.part``, check its MD5, then
rename it into place. ``fetch_missing`` is the one flow every downloadable loader runs (missing files,
``download=False``, download, not found); ``download_file`` fetches one file.

A file is either absent or complete: the bytes go to ``<name>.part`` next to the destination and only a
download whose size and checksum are right is renamed (``os.replace``, atomic on one filesystem) to the
final name. A broken connection, a wrong checksum or an interrupt deletes the part file.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .._version import __version__
from .errors import DatasetNotFoundError, DownloadError
from .progress import DownloadProgressBar

TIMEOUT_SECONDS = 30.0
CHUNK_BYTES = 1 << 16


def md5_of(path: str | os.PathLike) -> str:
    """Hex MD5 of a file's contents."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url: str, part: Path, md5: str, progress: bool) -> None:
    """Stream ``url`` into ``part``; raise ``OSError`` on a short body or a checksum mismatch."""
    request = urllib.request.Request(url, headers={"User-Agent": f"convkit/{__version__}"})
    digest = hashlib.md5(usedforsecurity=False)
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response, open(part, "wb") as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        bar = DownloadProgressBar(part.stem, total) if progress else None
        received = 0
        try:
            for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
        out.flush()
        os.fsync(out.fileno())
    if total is not None and received != total:
        raise OSError(f"connection closed after {received} of {total} bytes")
    if digest.hexdigest() != md5:
        raise OSError(f"checksum mismatch: MD5 {digest.hexdigest()}, expected {md5}")


def download_file(
    mirrors: Sequence[str], filename: str, folder: Path, md5: str, progress: bool = True
) -> Path:
    """Download ``filename`` into ``folder``, trying ``mirror + filename`` for each mirror in turn.

    Mirrors are base URLs ending in ``/``. Returns the path of the verified file; raises ``DownloadError``
    listing every mirror's failure when none delivers a complete file with the expected MD5. Each request
    times out after ``TIMEOUT_SECONDS`` without data. A progress bar goes to stderr when ``progress``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / filename
    part = folder / f"{filename}.part"
    failures = []
    for mirror in mirrors:
        url = mirror + filename
        try:
            _fetch(url, part, md5, progress)
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
) -> None:
    """Download into ``folder`` each published file of ``files`` (name -> MD5) that ``on_disk`` says is
    missing, so that afterwards all of them are on disk.

    Raises ``DatasetNotFoundError`` naming the files still missing, ``folder`` and the URLs to get them
    from: with ``absent_reason`` when ``download`` is False, else with every mirror's failure. ``note`` is
    the message's last line (e.g. which extracted files would do as well).
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
            download_file(mirrors, name, folder, files[name], progress)
        except DownloadError as err:
            raise not_found(str(err)) from err
