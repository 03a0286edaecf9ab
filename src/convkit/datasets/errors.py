"""The errors a dataset loader raises when its files are neither on disk nor downloadable."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class DownloadError(OSError):
    """Every mirror of a file failed; the message lists each URL with its failure."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are missing from disk (and were not, or could not be, downloaded).

    The message names the missing files, the folder to put them in and the URLs to get them from, so the
    files can be fetched by hand on a machine with internet access and copied over.
    """

    @classmethod
    def for_files(
        cls,
        dataset: str,
        folder: Path,
        missing: Sequence[str],
        urls: Sequence[str],
        reason: str,
        note: str = "",
    ) -> DatasetNotFoundError:
        """Build the error for ``missing`` files of ``dataset`` that belong in ``folder``.

        ``reason`` says why they are missing (may span lines); ``note`` is an optional last line.
        """
        return cls(
            f"{dataset} not found: {reason}\n"
            f"Missing files: {', '.join(missing)}\n"
            f"Put them in: {folder}\n"
            "Get them from:\n" + "".join(f"  {url}\n" for url in urls) + note
        )
