"""Print the oldest numpy a convkit wheel declares for one Python: ``oldest_numpy.py WHEEL 3.9``.

Reads the wheel's ``Requires-Dist`` lines and evaluates their environment markers for that Python, so the
test of the oldest numpy follows whatever pyproject.toml declares. Needs ``packaging`` (the tools venv)."""

from __future__ import annotations

import sys
import zipfile
from email.parser import Parser

from packaging.requirements import Requirement


def oldest_numpy(wheel: str, python_version: str) -> str:
    """The lower bound (``>=``) of the numpy requirement that applies on ``python_version``."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode())
    environment = {"python_version": python_version, "python_full_version": f"{python_version}.0"}
    for line in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        applies = requirement.marker is None or requirement.marker.evaluate(environment)
        if requirement.name != "numpy" or not applies:
            continue
        bounds = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        if len(bounds) == 1:
            return bounds[0]
    raise SystemExit(f"oldest_numpy: no single numpy>= bound for Python {python_version} in {wheel}")


if __name__ == "__main__":
    print(oldest_numpy(sys.argv[1], sys.argv[2]))
