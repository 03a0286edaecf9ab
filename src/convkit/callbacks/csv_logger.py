"""CSVLogger: one CSV row per epoch with every logs value."""

from __future__ import annotations

import csv
import os

from .callback import Callback


class CSVLogger(Callback):
    """Writes one row per epoch to a CSV file: ``epoch`` (0-based) and every logs key, sorted.

    The columns are fixed by the first epoch's logs (a key missing later is written ``NA``). The header
    is written once: not again when ``append`` continues a file that already has content. The file is
    opened at ``on_train_begin``, flushed after every row and closed at ``on_train_end``.
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"CSVLogger: filename must be a str or a path. Received: filename={filename!r}")
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: separator must be one character. Received: separator={separator!r}")
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self._file = None
        self._writer: csv.DictWriter | None = None
        self._write_header = True

    def on_train_begin(self, logs: dict | None = None) -> None:
        has_content = os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._write_header = not (self.append and has_content)
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self._writer is None:
            self.keys = sorted(logs)
            self._writer = csv.DictWriter(
                self._file, fieldnames=["epoch", *self.keys], delimiter=self.separator
            )
            if self._write_header:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **{key: logs.get(key, "NA") for key in self.keys}})
        self._file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._file is not None:
            self._file.close()
        self._file = None
        self._writer = None
