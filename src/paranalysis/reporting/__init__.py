"""Running the notebooks and publishing them as HTML reports for leadership.

One module per part: ``notebooks`` (where they are, parameters, titles), ``run`` (the
run), ``html`` (page export and index pages), ``check`` (the page check), ``provenance``
(the footer).

``run_notebooks`` executes every numbered notebook with papermill (parameters
``data_dir``, ``quarter``, ``lang``), then exports each one to HTML with the package's own
nbconvert template (``templates/paranalysis``):

- no code: input cells, prompts, warnings (stderr) and tracebacks are left out;
- self-contained and offline: figures are embedded, the stylesheet is inline, and there
  is no script, stylesheet or font from the internet (``check_report`` verifies it and a
  run refuses to publish a page that fails);
- readable on a phone (viewport, fluid images, scrolling tables) and printable (A4);
- a banner whenever any input is synthetic demonstration data;
- a provenance footer: data vintage (quarters covered, sha256 of every input file, the
  latest ingest), package version, git commit, parameters and run time.

Output folder (default ``reports/<quarter>/``): ``NN-name.ipynb`` and ``NN-name.html``
(``NN-name.en.*`` for English), ``run-<lang>.json`` (what ran, with timings) and
``index.html`` linking every report; ``reports/index.html`` lists every run.
"""

from paranalysis.errors import DataError, RunError, UnsafeReportError
from paranalysis.reporting.check import check_report
from paranalysis.reporting.html import export_html, report_css, templates_dir, write_index, write_reports_index
from paranalysis.reporting.notebooks import (NOTEBOOK_PARAMETERS, REMOVE_CELL_TAGS, check_parameter_names,
                                             check_parameters, list_notebooks, notebook_title, notebooks_dir,
                                             resolve_quarter)
from paranalysis.reporting.provenance import (DEPENDENCIES, data_vintage, dependency_versions, git_commit,
                                              provenance_block, scrub_paths)
from paranalysis.reporting.run import NotebookReport, RunResult, run_notebooks, run_workers

__all__ = ["RunError", "UnsafeReportError", "RunResult", "NotebookReport", "run_notebooks", "export_html", "check_report",
           "check_parameters", "check_parameter_names", "resolve_quarter", "data_vintage", "provenance_block",
           "write_index", "write_reports_index", "run_workers", "list_notebooks", "notebooks_dir", "git_commit",
           "notebook_title", "scrub_paths", "dependency_versions", "DEPENDENCIES", "NOTEBOOK_PARAMETERS",
           "REMOVE_CELL_TAGS", "report_css", "templates_dir", "DataError"]
