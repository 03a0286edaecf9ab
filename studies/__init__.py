"""The classic lab experiments, each rerun by one command and written up as a report.

``python -m studies list`` names them; ``python -m studies run NAME [--quick | --tiny]`` runs one (or
``all``) and writes ``reports/NAME/README.md`` with tables and PNG plots. Each study is a module of this
package exposing ``TITLE`` (one line) and ``run(ctx: StudyContext) -> Report`` decorated with
``@study(number)`` (see ``studies.registry``); ``all_studies()`` finds them.
"""

from .context import MODES, StudyContext
from .registry import all_studies, get_study, study
from .report import Report

__all__ = ["MODES", "Report", "StudyContext", "all_studies", "get_study", "study"]
