"""Argument checks shared by the downloadable dataset loaders."""

from __future__ import annotations

import os
from pathlib import Path


def check_loader_arguments(where: str, root: object, download: object, progress: object) -> Path:
    """``root`` as an absolute ``Path`` (``~`` expanded); ``TypeError`` for a wrong argument type."""
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"{where}: root must be a str or a path. Received: root={root!r}")
    for name, value in (("download", download), ("progress", progress)):
        if not isinstance(value, bool):
            raise TypeError(f"{where}: {name} must be a bool. Received: {name}={value!r}")
    return Path(root).expanduser().absolute()
