"""Saving and loading a ``Sequential`` as one ``.npz``: architecture, weights, optimizer state.

Layout of the archive (numpy's zip of ``.npy`` members, read with ``allow_pickle=False``):
- ``__model__``: a JSON string with the format version, the architecture (``Sequential.get_config``),
  the built input shape and the compile settings (optimizer config, loss, metrics).
- ``params/{layer}/{name}``, ``state/{layer}/{name}``: every layer's trainable and non-trainable arrays.
- ``optimizer/iterations``, ``optimizer/{param}/{slot}``: the optimizer state (``Optimizer.get_state``).

The file is written to a temporary file beside the target and renamed over it, so a crash never leaves a
half-written model; a truncated or corrupted file raises ``ValueError`` naming the file.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile

import numpy as np

from . import optimizers

FORMAT = "convkit.Sequential"
FORMAT_VERSION = 1


def save_model(model, path) -> None:
    """Write ``model`` (a built ``Sequential``) to ``path`` atomically."""
    if not model.built:
        model.build()
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "config": model.get_config(),
        "input_shape": list(model.input_shape),
        "compile": None,
    }
    arrays: dict[str, np.ndarray] = {}
    for index, layer in enumerate(model.layers):
        for key, value in layer.params.items():
            arrays[f"params/{index}/{key}"] = value
        for key, value in layer.state.items():
            arrays[f"state/{index}/{key}"] = value
    if model.optimizer is not None:
        header["compile"] = {
            "optimizer": optimizers.serialize(model.optimizer),
            "loss": model.loss,
            "metrics": model.metrics,
        }
        for key, value in model.optimizer.get_state().items():
            arrays[f"optimizer/{key}"] = value
    arrays["__model__"] = np.array(json.dumps(header))

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(dir=directory, prefix=".convkit-", suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        os.unlink(tmp_path)
        raise


def _read_archive(path: str) -> tuple[dict, dict[str, np.ndarray]]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        header = json.loads(str(arrays.pop("__model__")))
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


def load_model(path):
    """Rebuild the ``Sequential`` saved at ``path``: same layers, weights, optimizer and its state."""
    from .sequential import Sequential

    path = os.fspath(path)
    header, arrays = _read_archive(path)
    try:
        model = Sequential.from_config(header["config"])
        model.build(header["input_shape"])
        for index, layer in enumerate(model.layers):
            for group, target in (("params", layer.params), ("state", layer.state)):
                for key, value in target.items():
                    np.copyto(value, arrays[f"{group}/{index}/{key}"])
        compiled = header["compile"]
        if compiled is not None:
            model.compile(
                optimizers.deserialize(compiled["optimizer"]), compiled["loss"], compiled["metrics"]
            )
            state = {
                key[len("optimizer/") :]: value
                for key, value in arrays.items()
                if key.startswith("optimizer/")
            }
            model.optimizer.set_state(state)
    except (KeyError, ValueError, TypeError) as err:
        raise ValueError(f"load_model: {path} does not describe a consistent model: {err!r}") from err
    return model
