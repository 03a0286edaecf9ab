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
import os
import tempfile
import zipfile
from collections.abc import Mapping

import numpy as np

FORMAT = "convkit.Sequential"
FORMAT_VERSION = 1
HEADER = "__model__"


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


def read(path) -> tuple[dict, dict[str, np.ndarray]]:
    """``(header, arrays)`` of the file at ``path``; the header holds ``write``'s content."""
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        header = json.loads(str(arrays.pop(HEADER)))
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, json.JSONDecodeError) as err:
        raise ValueError(
            f"load_model: {path} is not a readable convkit model file (truncated or corrupted?): {err}"
        ) from err
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"load_model: {path} is not a convkit model file (no '{FORMAT}' header).")
    if header.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"load_model: {path} has format version {header.get('version')}; "
            f"this convkit reads {FORMAT_VERSION}."
        )
    return header, arrays
