"""The HTML report: one self-contained file rendered from a :class:`RunResult`.

Contract:

- jinja2 with autoescape on for every template: everything a target returned (bodies,
  headers, URLs, values in findings) is shown as text, never as markup, URL or attribute;
- CSS, icons (inline SVG), charts (inline SVG) and the one script are inlined; the page
  loads nothing and contacts nothing when opened (no external URL anywhere);
- a strict Content-Security-Policy ``<meta>``: ``default-src 'none'``, the inline script and
  the inline stylesheet allowed by their SHA-256 hashes only (no ``unsafe-inline``, no
  ``unsafe-eval``), no forms, no base URL, no connections. Even if a value slipped through
  unescaped, a browser would refuse to run or load it;
- JSON (``results.json``) is the source of truth; this renders from it (design.md §6).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from harness.results import SCHEMA_VERSION, RunResult
from harness.curl import OAUTH_TOKEN_RECIPE, uses_oauth
from redaction import scrub
from reports.timeline import SERIES
from reports.view import LEVELS, Limits, build_view
from reports.writer import RunFileWriter

__all__ = ["render_html", "write_html", "HtmlWriter", "MAX_REPORT_BYTES", "content_security_policy", "csp_hash", "environment", "bound"]

TEMPLATES = "templates"
#: The size bound of a report (bytes of UTF-8): evidence is shortened, level by level, to fit.
MAX_REPORT_BYTES = 2_000_000


def csp_hash(text: str) -> str:
    """The CSP source expression allowing exactly this inline script or style."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(script: str, style: str) -> str:
    """The policy the report (and the live page, with ``connect``) is served under."""
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src {csp_hash(script)}",
            f"style-src {csp_hash(style)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


def bound(value: object, limit: int = 2000) -> str:
    """A jinja filter: ``value`` as text, cut at ``limit`` characters with a note."""
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit:,} more characters)"


def show(value: object, limit: int = 2000) -> str:
    """A jinja filter: any JSON value as compact JSON text (strings quoted), bounded."""
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return bound(text, limit)


def _asset(name: str) -> str:
    return resources.files("reports").joinpath(TEMPLATES, name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The one jinja2 environment: autoescape for every template, undefined names fail."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports", TEMPLATES),
        autoescape=True,  # not select_autoescape: every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["bound"] = bound
    env.filters["show"] = show
    return env


def inline_assets(*names: str) -> tuple[Markup, Markup, str]:
    """``(style, script, csp)``: our own files, trusted, inlined verbatim and hashed."""
    css_names = [n for n in names if n.endswith(".css")]
    js_names = [n for n in names if n.endswith(".js")]
    style = "\n".join(_asset(n) for n in css_names)
    script = "\n".join(_asset(n) for n in js_names)
    for text in (style, script):
        if "</" in text:
            raise ValueError("an inlined asset must not contain '</' (it would end its element)")
    return Markup(style), Markup(script), content_security_policy(script, style)


def _render(run: RunResult, limits: Limits, reduced: bool) -> str:
    style, script, csp = inline_assets("report.css", "report.js")
    view = build_view(run, limits)
    template = environment().get_template("report.html.j2")
    return template.render(
        v=view, run=view.run, style=style, script=script, csp=csp, series=SERIES, limits=limits,
        schema_version=SCHEMA_VERSION, reduced=reduced,
        oauth_recipe=OAUTH_TOKEN_RECIPE if uses_oauth(run.options or {}) else None,
    )


def render_html(run: RunResult, limits: Limits | None = None, max_bytes: int = MAX_REPORT_BYTES) -> str:
    """The report page for ``run`` as a string (UTF-8 text, self-contained).

    With no explicit ``limits``, the evidence is shortened level by level
    (:data:`reports.view.LEVELS`) until the page is under ``max_bytes``; the page then says
    so. results.json always keeps everything.
    """
    if limits is not None:
        return _render(run, limits, reduced=False)
    html = ""
    for level, candidate in enumerate(LEVELS):
        html = _render(run, candidate, reduced=level > 0)
        if len(html.encode("utf-8")) <= max_bytes:
            break
    return html


def write_html(run: RunResult, path: str | os.PathLike[str], limits: Limits | None = None) -> Path:
    """Render ``run`` to ``path`` atomically (a reader never sees half a file).

    The file gets the usual permissions (umask), like every other output of a run.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = scrub(render_html(run, limits))  # the redaction layer's last pass
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


class HtmlWriter(RunFileWriter):
    """Event handler writing report.html when the run finishes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, write_html)
