"""reports: the writers that render a run (results.json, JUnit XML, HTML).

results.json is the source of truth (docs/results-schema.md); the others render from it.
Each writer is also an event handler (``handle_event``) the runner can be given.
"""

from reports.json_writer import JsonWriter, ResultsFileError, load_results, write_results
from reports.junit import JunitWriter, render_junit, write_junit
from reports.html import HtmlWriter, render_html, write_html

__all__: list[str] = [
    "__version__",
    "JsonWriter",
    "JunitWriter",
    "ResultsFileError",
    "load_results",
    "render_junit",
    "write_junit",
    "write_results",
    "HtmlWriter",
    "render_html",
    "write_html",
]
__version__ = "0.1.0"
