"""The studies by name, in the order of the lab. A study module is imported only when it is run."""

from __future__ import annotations

import importlib
from types import ModuleType

# name -> module of this package
STUDIES: dict[str, str] = {}


def get_study(name: str) -> ModuleType:
    """The module of study ``name``; it has ``TITLE`` and ``run(ctx) -> Report``."""
    if name not in STUDIES:
        raise ValueError(f"Unknown study {name!r}. Known: {', '.join(STUDIES)}")
    return importlib.import_module(f"studies.{STUDIES[name]}")
