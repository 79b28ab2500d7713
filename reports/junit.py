"""JUnit XML from a :class:`RunResult`, for CI systems that draw test results.

One ``<testsuite>`` per area, one ``<testcase>`` per check (``classname`` =
``scim.<area>``, ``name`` = the check id):

- FAIL  -> ``<failure>``  (a MUST the target broke)
- ERROR -> ``<error>``    (the harness could not judge)
- SKIP  -> ``<skipped>``  (not applicable, with the reason)
- WARN  -> passed, with the finding in ``<system-out>`` (a SHOULD does not break CI unless
  ``--fail-on should``; the exit code, not this file, is the gate)

A run that could not test has no checks: it becomes one ``scim-harness.run`` testcase with an
``<error>`` saying why. The text of a finding carries what was expected and seen, the fix,
and the exchanges (method, URL, status, bounded bodies - already redacted when recorded).

Hostile text is safe: everything goes through ElementTree (escaped), characters XML 1.0
forbids are replaced, and every field is bounded, so the file always parses.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from xml.etree import ElementTree as ET

from harness.recorder import Exchange
from harness.results import CheckResult, Outcome, RunResult
from redaction import scrub
from reports.writer import RunFileWriter

__all__ = ["render_junit", "write_junit", "JunitWriter", "xml_safe"]

_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
BODY_LIMIT = 2000  # characters of each body shown in a finding
TEXT_LIMIT = 16000  # characters of one testcase's text
EXCHANGES_SHOWN = 8


def xml_safe(value: object, limit: int = 4000) -> str:
    """``value`` as text XML 1.0 accepts, cut at ``limit`` characters."""
    text = _INVALID_XML.sub("\ufffd", "" if value is None else str(value))
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"


def _exchange_text(ex: Exchange) -> str:
    lines = [f"{ex.id} {ex.method} {ex.url} -> {ex.status if ex.status is not None else 'no answer'}"
             + (f" ({ex.error})" if ex.error else "")]
    if ex.request_body:
        lines.append("  request body: " + xml_safe(ex.request_body, BODY_LIMIT))
    if ex.response_body:
        lines.append("  response body: " + xml_safe(ex.response_body, BODY_LIMIT))
    return "\n".join(lines)


def finding_text(result: CheckResult, exchanges: dict[str, Exchange]) -> str:
    """The evidence of one check as plain text (also used by the pytest plugin)."""
    parts = [f"{result.title} [{result.level.value}; {result.rests_on}]"]
    if result.message:
        parts.append(result.message)
    if result.expected or result.seen:
        parts.append(f"expected: {result.expected}\nseen:     {result.seen}")
    if result.idp_impact and result.outcome in (Outcome.FAIL, Outcome.WARN):
        parts.append(f"impact: {result.idp_impact}")
    if result.outcome in (Outcome.FAIL, Outcome.WARN):
        parts.append(f"fix: {result.fix}")
    shown = [exchanges[i] for i in result.exchange_ids if i in exchanges]
    if shown:
        parts.append("exchanges:\n" + "\n".join(_exchange_text(ex) for ex in shown[-EXCHANGES_SHOWN:]))
        if len(shown) > EXCHANGES_SHOWN:
            parts.append(f"({len(shown) - EXCHANGES_SHOWN} earlier exchanges in results.json)")
    return xml_safe("\n".join(parts), TEXT_LIMIT)


def _counts(results: list[CheckResult]) -> dict[str, str]:
    return {
        "tests": str(len(results)),
        "failures": str(sum(r.outcome is Outcome.FAIL for r in results)),
        "errors": str(sum(r.outcome is Outcome.ERROR for r in results)),
        "skipped": str(sum(r.outcome is Outcome.SKIP for r in results)),
        "time": f"{sum(r.duration_ms for r in results) / 1000:.3f}",
    }


def _testcase(parent: ET.Element, result: CheckResult, exchanges: dict[str, Exchange]) -> None:
    case = ET.SubElement(parent, "testcase", classname=xml_safe(f"scim.{result.area}", 200),
                         name=xml_safe(result.id, 200), time=f"{result.duration_ms / 1000:.3f}")
    message = xml_safe(result.message or result.title, 500)
    if result.outcome is Outcome.FAIL:
        node = ET.SubElement(case, "failure", message=message, type=f"FAIL {result.level.value}")
        node.text = finding_text(result, exchanges)
    elif result.outcome is Outcome.ERROR:
        node = ET.SubElement(case, "error", message=message, type="ERROR could not judge")
        node.text = finding_text(result, exchanges)
    elif result.outcome is Outcome.SKIP:
        ET.SubElement(case, "skipped", message=message)
    elif result.outcome is Outcome.WARN:
        ET.SubElement(case, "system-out").text = "WARN " + finding_text(result, exchanges)


def render_junit(run: RunResult) -> str:
    """The JUnit XML document for ``run`` (always well-formed)."""
    exchanges = {ex.id: ex for ex in run.exchanges}
    root = ET.Element("testsuites", {"name": "scim-harness", **_counts(run.results)})
    if not run.results and run.message:
        suite = ET.SubElement(root, "testsuite", name="scim-harness.run", tests="1", failures="0", errors="1",
                              skipped="0", time=f"{run.duration_ms / 1000:.3f}", timestamp=xml_safe(run.started_at, 40))
        case = ET.SubElement(suite, "testcase", classname="scim.run", name="scim-harness.run", time="0")
        ET.SubElement(case, "error", message=xml_safe(run.message, 500), type="could not test").text = xml_safe(run.message)
        root.set("tests", "1")
        root.set("errors", "1")
    by_area: dict[str, list[CheckResult]] = {}
    for result in run.results:
        by_area.setdefault(result.area, []).append(result)
    for area, results in by_area.items():
        suite = ET.SubElement(root, "testsuite", {"name": xml_safe(f"scim-harness.{area}", 200),
                                                  "timestamp": xml_safe(run.started_at, 40), **_counts(results)})
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="target", value=xml_safe(run.target, 500))
        ET.SubElement(props, "property", name="exit_code", value=str(run.exit_code))
        for result in results:
            _testcase(suite, result, exchanges)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(run: RunResult, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(scrub(render_junit(run)), encoding="utf-8")  # the redaction layer's last pass
    tmp.replace(path)
    return path


class JunitWriter(RunFileWriter):
    """Event handler writing junit.xml when the run finishes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__(path, write_junit)
