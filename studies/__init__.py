"""The classic lab experiments, each rerun by one command and written up as a report.

``python -m studies list`` names them; ``python -m studies run NAME [--quick | --tiny]`` runs one (or
``all``) and writes ``reports/NAME/README.md`` with tables and PNG plots. Each study is a module of this
package exposing ``TITLE`` (one line), ``run(ctx: StudyContext) -> Report`` and is listed in ``STUDIES``.
"""

from .context import MODES, StudyContext
from .registry import STUDIES, get_study
from .report import Report

__all__ = ["MODES", "STUDIES", "Report", "StudyContext", "get_study"]
