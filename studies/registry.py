"""The studies, registered by ``@study(number)`` beside each study's ``run`` and found by importing the
package's modules.

A study is a module of this package that defines ``TITLE`` (one line), ``LAB_ITEM`` (the lab item it
reproduces, e.g. "Lab A, item 3: update rules"; the reports index is ordered by it) and a
``run(ctx) -> Report`` decorated with ``@study(number)``; its name is the module's name and ``number``
its place in the lab's order. Other modules (data, plots, report helpers) register nothing.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from convkit._validation import positive_int

Run = TypeVar("Run", bound=Callable)

# packages of convkit's "torch" extra: without them the torch studies are left out of all_studies()
OPTIONAL_PACKAGES = ("torch", "torchvision", "tqdm")

_STUDIES: dict[str, tuple[int, ModuleType]] = {}  # name -> (number, module), filled by @study


def study(number: int) -> Callable[[Run], Run]:
    """Register the decorated ``run`` as study ``number`` (1, 2, ...), named after its module."""
    number = positive_int(number, "number", "study")

    def register(run: Run) -> Run:
        module = sys.modules[run.__module__]
        name = module.__name__.rpartition(".")[2]
        for attribute in ("TITLE", "LAB_ITEM"):
            if not isinstance(getattr(module, attribute, None), str):
                raise TypeError(f"study: module {module.__name__} must define {attribute} before run")
        taken = [other for other, (n, _) in _STUDIES.items() if n == number and other != name]
        if taken:
            raise ValueError(f"study: number {number} is already study {taken[0]!r}. Received: {name!r}")
        _STUDIES[name] = (number, module)
        return run

    return register


def _module_names() -> list[str]:
    """The public modules of this package (``_private`` ones and ``__main__`` excluded)."""
    return [m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_")]


def _needs_missing_optional_package(err: BaseException | None) -> bool:
    """Whether ``err``, or an error it was raised from, is a missing package of the torch extra."""
    while err is not None:
        if isinstance(err, ModuleNotFoundError) and (err.name or "").partition(".")[0] in OPTIONAL_PACKAGES:
            return True
        err = err.__cause__
    return False


def all_studies() -> dict[str, ModuleType]:
    """Every study, in the lab's order; those needing a missing package of the torch extra are left out."""
    for name in _module_names():
        try:
            importlib.import_module(f"{__package__}.{name}")
        except ImportError as err:
            if not _needs_missing_optional_package(err):
                raise
    ordered = sorted(_STUDIES.items(), key=lambda item: item[1][0])
    return {name: module for name, (_, module) in ordered}


def get_study(name: str) -> ModuleType:
    """The module of study ``name``; it has ``TITLE`` and ``run(ctx) -> Report``.

    Only that module is imported, so a convkit study runs without torch installed.
    """
    if name in _module_names():
        importlib.import_module(f"{__package__}.{name}")
    if name not in _STUDIES:
        raise ValueError(f"Unknown study {name!r}. Known: {', '.join(all_studies())}")
    return _STUDIES[name][1]
